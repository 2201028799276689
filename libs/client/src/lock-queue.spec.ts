import { LockQueue } from './lock-queue.js';

describe('LockQueue', () => {
  it('runs holders of one name one at a time, in order, and other names alongside', async () => {
    const locks = new LockQueue();
    const events: string[] = [];
    const holder = (name: string, label: string, ms: number) =>
      locks.run(name, async () => {
        events.push(`${label} in`);
        await new Promise((done) => setTimeout(done, ms));
        events.push(`${label} out`);
        return label;
      });
    const results = await Promise.all([holder('a', 'a1', 30), holder('a', 'a2', 1), holder('b', 'b1', 1)]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(events.indexOf('a1 out')).toBeLessThan(events.indexOf('a2 in'));
    expect(events.indexOf('b1 out')).toBeLessThan(events.indexOf('a1 out'));
  });

  it('lets the next holder run after one that failed', async () => {
    const locks = new LockQueue();
    const failed = locks.run('a', () => Promise.reject(new Error('boom')));
    const next = locks.run('a', () => Promise.resolve('next'));
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
  });
});
