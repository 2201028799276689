import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { PeriodicTask } from './periodic-task.js';

describe('PeriodicTask', () => {
  it('runs one round at a time: a call while a round is under way does nothing', async () => {
    let rounds = 0;
    let finish!: () => void;
    const task = new PeriodicTask('count', 60_000, () => ((rounds += 1), new Promise<void>((resolve) => (finish = resolve))), 'Test');
    const first = task.run();
    await task.run();
    finish();
    await first;
    expect(rounds).toBe(1);
  });

  it('runs a full round after the one under way when asked to run to completion (a shutdown flush)', async () => {
    const seen: number[][] = [];
    let pending = [1];
    let finish!: () => void;
    const task = new PeriodicTask(
      'flush',
      60_000,
      async () => {
        const batch = pending;
        pending = [];
        seen.push(batch);
        if (seen.length === 1) await new Promise<void>((resolve) => (finish = resolve));
      },
      'Test',
    );
    const first = task.run();
    pending.push(2); // handed over while the first round is writing
    const flushed = task.runToCompletion();
    finish();
    await Promise.all([first, flushed]);
    expect(seen).toEqual([[1], [2]]);
  });

  it('logs a failed round as a warning naming the job, and runs again next time', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      let calls = 0;
      const task = new PeriodicTask(
        'sync revocations',
        60_000,
        async () => {
          calls += 1;
          if (calls === 1) throw new Error('database unreachable');
        },
        'Test',
      );
      await task.run();
      await task.run();
      expect(calls).toBe(2);
      expect(warn).toHaveBeenCalledWith('Could not sync revocations: database unreachable');
    } finally {
      warn.mockRestore();
    }
  });

  it('runs on its interval once started, and stops', async () => {
    jest.useFakeTimers();
    try {
      let rounds = 0;
      const task = new PeriodicTask('tick', 1000, async () => void (rounds += 1), 'Test');
      task.start();
      await jest.advanceTimersByTimeAsync(3000);
      task.stop();
      await jest.advanceTimersByTimeAsync(3000);
      expect(rounds).toBe(3);
    } finally {
      jest.useRealTimers();
    }
  });
});
