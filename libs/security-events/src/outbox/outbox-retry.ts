/** The first retry's wait, before jitter. */
export const OUTBOX_FIRST_RETRY_MS = 1000;
/** The cap on a retry's wait, before jitter. */
export const OUTBOX_LONGEST_WAIT_MS = 10 * 60_000;
/** The jitter stretches a wait by at most this fraction. */
export const OUTBOX_RETRY_JITTER = 0.2;

/**
 * How long to wait after the `attempts`-th failed attempt: 1 s, 2 s, 4 s … doubling up to 10
 * minutes, each stretched by up to a fifth at random so that the retries of many rows (a
 * receiver that was down) do not all arrive in the same second. A pure function of the attempt
 * count and `random` (a value in [0, 1)): no clock is read, the worker adds the wait to the
 * database's `now`.
 */
export function outboxRetryDelayMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(OUTBOX_FIRST_RETRY_MS * 2 ** Math.max(0, Math.min(attempts - 1, 30)), OUTBOX_LONGEST_WAIT_MS);
  return Math.round(base * (1 + random() * OUTBOX_RETRY_JITTER));
}
