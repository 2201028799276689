/**
 * "Poll until, within a generous deadline": the one way a test waits for something that happens
 * asynchronously (another process syncing a revocation, a webhook delivery, a retry). The deadline
 * is only there so a broken behaviour fails instead of hanging; it is never a latency bound
 * (latency is the benchmark's), so make it generous: a busy 2-core machine runs the suites.
 */
export const GENEROUS_DEADLINE_MS = 10_000;

export interface WaitForOptions {
  /** How long to keep polling before failing the test. */
  readonly timeoutMs?: number;
  /** The pause between two polls. */
  readonly intervalMs?: number;
  /** Says what was awaited, in the error when the deadline passes. */
  readonly what?: string;
}

/**
 * Polls `check` until it returns true (or a value other than false, undefined and null, which
 * is returned), failing once the deadline passes.
 */
export async function waitFor<T>(
  check: () => T | false | undefined | null | Promise<T | false | undefined | null>,
  { timeoutMs = GENEROUS_DEADLINE_MS, intervalMs = 25, what = 'the condition' }: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false && value !== undefined && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what} was not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** Lets time pass. Only for pacing a loop or keeping a scenario going, never as the proof that something happened. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Awaits `promise`, failing (as waitFor does) if it has not settled by the deadline: for an
 * answer that must come because of something the test did (a wake-up, a shutdown, a closed
 * connection) rather than because a longer timer ran out. Not a latency bound either.
 */
export async function settles<T>(promise: Promise<T>, options: WaitForOptions = {}): Promise<T> {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  // Should the deadline pass first, a later rejection is not left unhandled.
  tracked.catch(() => undefined);
  await waitFor(() => settled, options);
  return tracked;
}
