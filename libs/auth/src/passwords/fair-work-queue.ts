import { ServiceBusy } from '@app/platform';

interface Job {
  readonly work: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Runs CPU-heavy work (password hashing) at most `concurrency` at a time, taking turns
 * between clients: each client has its own line, and the lines are served round-robin, so a
 * burst from one client waits behind itself, not in front of everybody else. The queue is
 * bounded in total and per client; past either bound `run` throws ServiceBusy (503 with
 * Retry-After) at once instead of letting the wait grow without end.
 */
export class FairWorkQueue {
  /** One line per client; a Map iterates in insertion order, which makes the round-robin. */
  private readonly lines = new Map<string, Job[]>();
  private running = 0;
  private waiting = 0;

  constructor(
    private readonly concurrency: number,
    private readonly capacity: number,
    private readonly perClientCapacity: number,
    /** What a caller turned away is told to wait, in seconds. */
    private readonly retryAfterSeconds = 1,
  ) {}

  get size(): number {
    return this.waiting;
  }

  run<T>(client: string, work: () => Promise<T>): Promise<T> {
    const line = this.lines.get(client);
    if (this.waiting >= this.capacity || (line?.length ?? 0) >= this.perClientCapacity) {
      return Promise.reject(new ServiceBusy(this.retryAfterSeconds));
    }
    return new Promise<T>((resolve, reject) => {
      const job: Job = { work, resolve: resolve as (value: unknown) => void, reject };
      if (line) line.push(job);
      else this.lines.set(client, [job]);
      this.waiting += 1;
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.concurrency && this.waiting > 0) {
      const [client, line] = this.lines.entries().next().value as [string, Job[]];
      const job = line.shift()!;
      // The client goes to the back of the round; a client with nothing left leaves it.
      this.lines.delete(client);
      if (line.length > 0) this.lines.set(client, line);
      this.waiting -= 1;
      this.running += 1;
      job
        .work()
        .then(job.resolve, job.reject)
        .finally(() => {
          this.running -= 1;
          this.next();
        });
    }
  }
}
