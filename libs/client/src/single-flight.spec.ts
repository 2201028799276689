import { SingleFlight } from './single-flight.js';

describe('SingleFlight', () => {
  it('runs the task once for every caller that arrives while it runs, and again afterwards', async () => {
    const flight = new SingleFlight<number>();
    let runs = 0;
    let finish!: (value: number) => void;
    const task = () => {
      runs++;
      return new Promise<number>((resolve) => (finish = resolve));
    };
    const waiting = Array.from({ length: 10 }, () => flight.run(task));
    finish(7);
    expect(await Promise.all(waiting)).toEqual(Array(10).fill(7));
    expect(runs).toBe(1);

    const next = flight.run(task);
    finish(8);
    expect(await next).toBe(8);
    expect(runs).toBe(2);
  });

  it('gives every waiting caller the failure, and runs again on the next call', async () => {
    const flight = new SingleFlight<number>();
    const failing = [flight.run(() => Promise.reject(new Error('down'))), flight.run(() => Promise.resolve(1))];
    await expect(failing[0]).rejects.toThrow('down');
    await expect(failing[1]).rejects.toThrow('down');
    await expect(flight.run(() => Promise.resolve(2))).resolves.toBe(2);
  });
});
