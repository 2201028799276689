import type { SignOutReason } from './sign-out-reason.js';

// The client's typed errors, kept in one file because each is a few lines and an app imports
// them together to tell its user what happened.

/** Base class: `error instanceof AuthClientError` catches everything this package throws. */
export class AuthClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Spelled out rather than taken from the constructor, which a minifier renames.
    this.name = 'AuthClientError';
  }
}

/** The session has ended (see `reason`); `fetch` keeps rejecting with it until the next `login`. */
export class SignedOutError extends AuthClientError {
  constructor(readonly reason: SignOutReason) {
    super(`Signed out (${reason})`);
    this.name = 'SignedOutError';
  }
}

/** `dpop: true`, but the server answered `token_type: Bearer`: refusing to run unbound. */
export class DpopNotSupportedError extends AuthClientError {
  constructor() {
    super('The server did not bind the session to the DPoP key (token_type is not DPoP)');
    this.name = 'DpopNotSupportedError';
  }
}

/**
 * The server refused a sign-in, refresh, logout or account call with an answer the client
 * cannot fix itself (wrong password, a spent link, rate limit, an outage that outlasted the
 * retries). `body` is the parsed problem+json or OAuth error, `code` its `error` member when
 * it has one (`invalid_token` for an unusable mailed link, `invalid_grant`, …), `retryAfter`
 * the `Retry-After` seconds when sent.
 */
export class AuthHttpError extends AuthClientError {
  readonly code: string | undefined;

  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly retryAfter?: number,
  ) {
    super(`The server answered ${status}${describe(body)}`);
    this.name = 'AuthHttpError';
    const error = (body as { error?: unknown } | null | undefined)?.error;
    this.code = typeof error === 'string' ? error : undefined;
  }
}

/**
 * RFC 9470: the operation needs a recent sign-in on this device (`401` with
 * `error="insufficient_user_authentication"`) and nothing was changed. Call `reauthenticate`
 * (password, with the code when the account has two-step verification, or a passkey) and retry.
 * `maxAge` is the server's `max_age`: how recent, in seconds, the sign-in must be.
 */
export class StepUpRequiredError extends AuthHttpError {
  constructor(
    readonly maxAge: number | undefined,
    body: unknown,
  ) {
    super(401, body);
    this.name = 'StepUpRequiredError';
  }
}

/**
 * The password was right and the account has two-step verification (`401`
 * `"error":"mfa_required"`): no device exists yet. Ask for the code of the authenticator app (or
 * a recovery code) and call `completeMfa(code)` on the same client within 5 minutes. The
 * server's `mfaToken` stays inside the client (it is not in `body`).
 */
export class MfaRequiredError extends AuthHttpError {
  constructor(body: unknown) {
    super(401, withoutMfaToken(body));
    this.name = 'MfaRequiredError';
  }
}

/**
 * A second-factor code was refused (`401` `"error":"invalid_code"`): wrong, already used, or
 * missing where the account needs one (`reauthenticate` without `code`). Ask again; the sign-in
 * waiting in `completeMfa` survives up to 5 wrong codes.
 */
export class InvalidCodeError extends AuthHttpError {
  constructor(body: unknown) {
    super(401, body);
    this.name = 'InvalidCodeError';
  }
}

/**
 * The sign-in `completeMfa` would finish is gone (`401` `"error":"invalid_mfa_token"`: older than
 * 5 minutes, ended by 5 wrong codes, or the password changed), or there is none on this client:
 * start again with `login`.
 */
export class MfaExpiredError extends AuthHttpError {
  constructor(body?: unknown) {
    super(401, body ?? { error: 'invalid_mfa_token' });
    this.name = 'MfaExpiredError';
  }
}

/**
 * The server did not accept the passkey (`401` from `loginWithPasskey` or a passkey
 * `reauthenticate`): not registered (or removed) for this service, another account's, a spent
 * or expired challenge. Nothing was created; the user may try another passkey or the password.
 */
export class PasskeyRejectedError extends AuthHttpError {
  constructor(body: unknown) {
    super(401, body);
    this.name = 'PasskeyRejectedError';
  }
}

/** The server could not be reached, also after retrying with backoff for `retryTimeout`. */
export class AuthNetworkError extends AuthClientError {
  constructor(cause: unknown) {
    super('The server could not be reached', { cause });
    this.name = 'AuthNetworkError';
  }
}

function describe(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const { error, title, detail } = body as Record<string, unknown>;
  const text = [error, title, detail].filter((part) => typeof part === 'string').join(': ');
  return text ? ` (${text})` : '';
}

/** The body of an `mfa_required` answer without its `mfaToken`, which the client keeps to itself. */
function withoutMfaToken(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return body;
  const rest: Record<string, unknown> = { ...body };
  delete rest.mfaToken;
  return rest;
}
