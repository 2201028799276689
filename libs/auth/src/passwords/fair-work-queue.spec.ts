import { ServiceBusy } from '@app/platform';
import { FairWorkQueue } from './fair-work-queue.js';

/** Work that finishes when the test says so, recording the order it started in. */
function gate(started: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { work: () => (started.push(name), done), finish };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('FairWorkQueue', () => {
  it("serves clients round-robin, so one client's burst does not go before another's single job", async () => {
    const queue = new FairWorkQueue(1, 100, 100);
    const started: string[] = [];
    const jobs = [...['a1', 'a2', 'a3', 'a4'].map((name) => ['a', gate(started, name)] as const), ['b', gate(started, 'b1')] as const];
    const results = jobs.map(([client, job]) => queue.run(client, job.work));
    for (const [, job] of jobs) {
      await tick();
      job.finish();
    }
    await Promise.all(results);
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3', 'a4']);
  });

  it('runs at most `concurrency` jobs at once', async () => {
    const queue = new FairWorkQueue(2, 100, 100);
    let running = 0;
    let peak = 0;
    const work = async () => {
      running += 1;
      peak = Math.max(peak, running);
      await tick();
      running -= 1;
    };
    await Promise.all(Array.from({ length: 10 }, (_, index) => queue.run(`client-${index % 3}`, work)));
    expect(peak).toBe(2);
  });

  it("turns work away with ServiceBusy when a client's line or the whole queue is full", async () => {
    const queue = new FairWorkQueue(1, 3, 2, 2);
    const started: string[] = [];
    const running = gate(started, 'running');
    const first = queue.run('a', running.work);
    const waiting = [queue.run('a', async () => undefined), queue.run('a', async () => undefined)];
    await expect(queue.run('a', async () => undefined)).rejects.toBeInstanceOf(ServiceBusy);
    waiting.push(queue.run('b', async () => undefined));
    const busy = await queue.run('c', async () => undefined).catch((error: unknown) => error);
    expect(busy).toBeInstanceOf(ServiceBusy);
    expect((busy as ServiceBusy).retryAfterSeconds).toBe(2);
    running.finish();
    await Promise.all([first, ...waiting]);
    expect(queue.size).toBe(0);
  });

  it("passes a job's failure to its caller and keeps serving", async () => {
    const queue = new FairWorkQueue(1, 10, 10);
    await expect(queue.run('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(queue.run('a', async () => 42)).resolves.toBe(42);
  });
});
