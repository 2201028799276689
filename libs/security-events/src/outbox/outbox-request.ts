/** Longest wait for a receiver's answer; then the attempt failed and is retried. */
export const OUTBOX_REQUEST_TIMEOUT_MS = 5000;

/**
 * POSTs one outbox row to its receiver: null when `accepted(status)`, else why not (never the
 * URL: its query may hold a token). A redirect is a failure: following it would turn the POST
 * into a GET, or send the row elsewhere. The receiver's body means nothing to us and is dropped.
 */
export async function postOutboxRequest(
  url: string,
  init: { headers: Record<string, string>; body: string },
  shutdown: AbortSignal,
  accepted: (status: number) => boolean = (status) => status >= 200 && status < 300,
): Promise<string | null> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: init.headers,
      body: init.body,
      redirect: 'manual',
      signal: AbortSignal.any([AbortSignal.timeout(OUTBOX_REQUEST_TIMEOUT_MS), shutdown]),
    });
    await response.body?.cancel().catch(() => undefined);
    return accepted(response.status) ? null : `HTTP ${response.status}`;
  } catch (error) {
    return describeFailure(error);
  }
}

function describeFailure(error: unknown): string {
  const failure = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (failure.name === 'TimeoutError') return `no answer within ${OUTBOX_REQUEST_TIMEOUT_MS / 1000} s`;
  if (failure.name === 'AbortError') return 'aborted at shutdown';
  return failure.cause?.code ?? failure.cause?.message ?? failure.message ?? String(error);
}
