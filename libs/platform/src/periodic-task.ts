import { Logger } from '@nestjs/common';

/**
 * A background job that runs every `intervalMs` without keeping the process alive, never two
 * rounds at once; a round that fails is logged as a warning (`could not <what>`) and the next
 * round tries again. The revocation sync, the last-seen flush, the login-attempt cleanup and
 * the refresh-token prune are each one of these.
 */
export class PeriodicTask {
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    /** What the job does, for the log: "sync revocations". */
    private readonly what: string,
    private readonly intervalMs: number,
    private readonly work: () => Promise<unknown>,
    context: string,
  ) {
    this.logger = new Logger(context);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.run(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round now (a round already under way makes this a no-op); never throws. */
  async run(): Promise<void> {
    if (this.running) return;
    this.running = this.round();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  /**
   * A full round that starts after the one under way (if any) has ended: what a shutdown needs,
   * so that work handed over while a round was already running is not left behind.
   */
  async runToCompletion(): Promise<void> {
    await this.running;
    await this.run();
  }

  private async round(): Promise<void> {
    try {
      await this.work();
    } catch (error) {
      this.logger.warn(`Could not ${this.what}: ${(error as Error).message}`);
    }
  }
}
