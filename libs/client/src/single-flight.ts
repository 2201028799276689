/**
 * One run of an async task at a time: callers that arrive while it runs share its result,
 * so fifty concurrent requests needing a refresh make one refresh request.
 */
export class SingleFlight<T> {
  private running: Promise<T> | undefined;

  run(task: () => Promise<T>): Promise<T> {
    if (!this.running) {
      this.running = task().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }
}
