import { DpopKey } from './dpop-key.js';
import {
  AuthHttpError,
  AuthNetworkError,
  DpopNotSupportedError,
  InvalidCodeError,
  MfaExpiredError,
  MfaRequiredError,
  PasskeyRejectedError,
  SignedOutError,
  StepUpRequiredError,
} from './errors.js';
import { LockQueue } from './lock-queue.js';
import { MemoryStorage } from './memory-storage.js';
import { serverReason, type SignOutReason } from './sign-out-reason.js';
import { SingleFlight } from './single-flight.js';
import type { AuthStorage } from './storage.js';
import type { AuthenticationResponseJSON, GetAssertion, PublicKeyCredentialRequestOptionsJSON } from './webauthn.js';

export interface AuthClientOptions {
  /** The API's base URL, e.g. `https://auth.example.com`. */
  baseUrl: string;
  /** Where the session is kept (default: a MemoryStorage, gone with the process). */
  storage?: AuthStorage;
  /** Bind the session to a non-extractable ES256 key (DPoP, RFC 9449). */
  dpop?: boolean;
  /** Refresh when the access token has less than this many seconds left (default 60). */
  refreshSkew?: number;
  /** How long, in seconds, to keep retrying a refresh through network errors and 5xx (default 30). */
  retryTimeout?: number;
  /** The fetch to send requests with (default: the global one). */
  fetch?: typeof fetch;
  /** Other origins `fetch` may send the token to (default: only the origin of `baseUrl`). */
  allowedOrigins?: string[];
  /** Prefix of the storage keys and lock name (default `device-auth`), for several accounts. */
  storageKey?: string;
  /** Milliseconds since the epoch (default `Date.now`); tests move it to make a token old. */
  now?: () => number;
}

/** The device a sign-in creates, as the user's device list shows it. */
export interface DeviceInput {
  name: string;
  platform?: 'ios' | 'android' | 'web' | 'other';
}

export interface LoginInput {
  email: string;
  password: string;
  device: DeviceInput;
}

/**
 * How `reauthenticate` proves the user again: the password (with `code`, the authenticator
 * app's code or a recovery code, when the account has two-step verification), or a passkey
 * through the platform's credential API.
 */
export type ReauthenticateInput = { password: string; code?: string } | { passkey: GetAssertion };

export interface SignedOutEvent {
  reason: SignOutReason;
}

/** `GET /account`: the signed-in account (times ISO-8601). */
export interface Account {
  id: string;
  email: string;
  emailVerified: boolean;
  createdAt: string;
  /** How many passkeys the account has. */
  passkeys: number;
  /** Whether a second factor (TOTP) is enrolled. */
  totp: boolean;
}

/** What the client keeps in storage, as JSON under `<storageKey>:session`. */
interface Session {
  accessToken: string;
  tokenType: 'Bearer' | 'DPoP';
  /** When the token request was sent, and when the access token expires (+ expires_in), by this client's clock. */
  issuedAt: number;
  expiresAt: number;
  refreshToken: string;
  deviceId: string;
  /** Thumbprint of the DPoP key, kept beside the refresh token so the two never mismatch. */
  keyId?: string;
}

type StoredState = Session | { signedOut: SignOutReason };

interface TokenResponseBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  device_id: string;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Redirects the client follows itself for one request; the next one is returned to the caller. */
const MAX_REDIRECTS = 5;
/** Dropped when a redirect turns the request into a GET (Fetch, HTTP-redirect fetch). */
const BODY_HEADERS = ['content-encoding', 'content-language', 'content-location', 'content-type', 'content-length'];

/**
 * Signs a device in and keeps it signed in: adds the access token (and a DPoP proof when
 * bound) to requests, refreshes before expiry with one request however many callers wait,
 * and says why when the session ends.
 */
export class AuthClient {
  private readonly baseUrl: string;
  private readonly storage: AuthStorage;
  private readonly skewMs: number;
  private readonly retryTimeoutMs: number;
  private readonly http: (request: Request) => Promise<Response>;
  private readonly allowedOrigins: Set<string>;
  /** Where token requests (password, refresh token) may be redirected: the API only. */
  private readonly apiOrigin: Set<string>;
  private readonly sessionKey: string;
  private readonly lockName: string;
  private readonly now: () => number;
  private readonly refreshFlight = new SingleFlight<Session>();
  private readonly signedOutListeners = new Set<(event: SignedOutEvent) => void>();
  private readonly localLocks = new LockQueue();

  /** undefined: not read from storage yet; null: signed out. */
  private session: Session | null | undefined;
  private loading: Promise<Session | null> | undefined;
  private signedOutReason: SignOutReason | undefined;
  private key: DpopKey | undefined;
  /** The last `DPoP-Nonce` the server sent: one nonce is good at every endpoint. */
  private nonce: string | undefined;
  /** The `mfaToken` of the last `login` answered `mfa_required`, which `completeMfa` finishes (memory only). */
  private mfaToken: string | undefined;

  constructor(private readonly options: AuthClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.storage = options.storage ?? new MemoryStorage();
    this.skewMs = (options.refreshSkew ?? 60) * 1000;
    this.retryTimeoutMs = (options.retryTimeout ?? 30) * 1000;
    // Looked up per call and called on globalThis: browsers throw "Illegal invocation" otherwise.
    this.http = (request) => (options.fetch ?? globalThis.fetch).call(globalThis, request);
    this.apiOrigin = new Set([new URL(this.baseUrl).origin]);
    this.allowedOrigins = new Set([...this.apiOrigin, ...(options.allowedOrigins ?? []).map((url) => new URL(url).origin)]);
    const prefix = options.storageKey ?? 'device-auth';
    this.sessionKey = `${prefix}:session`;
    this.lockName = `${prefix}:refresh`;
    this.now = options.now ?? (() => Date.now());
  }

  on(event: 'signedOut', listener: (event: SignedOutEvent) => void): () => void {
    if (event !== 'signedOut') throw new TypeError(`Unknown event ${String(event)}`);
    this.signedOutListeners.add(listener);
    return () => this.signedOutListeners.delete(listener);
  }

  /** True while a session is kept (it may still turn out to be revoked on the next call). */
  async isSignedIn(): Promise<boolean> {
    return (await this.load()) !== null;
  }

  /**
   * Signs in a new device. With `dpop: true` the device is bound to a fresh key. When the
   * account has two-step verification, rejects with MfaRequiredError: no device exists yet,
   * and `completeMfa(code)` finishes the sign-in.
   */
  async login(input: LoginInput): Promise<{ deviceId: string }> {
    this.mfaToken = undefined;
    return this.signIn('/auth/login', input, false);
  }

  /**
   * Finishes the sign-in the last `login` left waiting with MfaRequiredError, with the code of
   * the authenticator app or a recovery code: creates the device as `login` does (bound to a
   * fresh key with `dpop: true`). A wrong code rejects with InvalidCodeError (ask again); a
   * sign-in that is gone (5 minutes passed, 5 wrong codes) or none waiting, with MfaExpiredError
   * (`login` again).
   */
  async completeMfa(code: string): Promise<{ deviceId: string }> {
    const mfaToken = this.mfaToken;
    if (mfaToken === undefined) throw new MfaExpiredError();
    return this.signIn('/auth/login/mfa', { mfaToken, code }, false);
  }

  /**
   * Signs in a new device with a passkey: asks the server for a challenge, lets `getAssertion`
   * (the platform's credential API: `@simplewebauthn/browser`'s `startAuthentication`, a React
   * Native passkey library) have the user pick a passkey and sign it, and creates the device as
   * `login` does (bound to a fresh key with `dpop: true`). A passkey the server does not accept
   * rejects with PasskeyRejectedError; `getAssertion`'s own rejection (the user cancelled) is
   * passed on as it is. A passkey is two factors in itself: no code is asked for.
   */
  async loginWithPasskey(getAssertion: GetAssertion, device: DeviceInput): Promise<{ deviceId: string }> {
    this.mfaToken = undefined;
    const assertion = await this.passkeyAssertion(getAssertion);
    return this.signIn('/auth/passkey/login', { ...assertion, device }, true);
  }

  /**
   * The sign-ins' common part: POSTs `body` to `path` (with a DPoP proof by a fresh key when
   * `dpop: true`) and makes the token response this client's session, bound to that key.
   * `passkey`: the body carries an assertion, so a plain `401` means the passkey was refused.
   */
  private async signIn(path: string, body: object, passkey: boolean): Promise<{ deviceId: string }> {
    const key = this.options.dpop ? await DpopKey.generate() : undefined;
    const sentAt = this.now();
    const response = await this.tokenRequest(path, body, key, false);
    const answer = await readJson(response);
    if (!response.ok || !isTokenResponse(answer)) {
      const error = refusal(response, answer, passkey);
      if (error instanceof MfaRequiredError) this.mfaToken = (answer as { mfaToken: string }).mfaToken;
      if (error instanceof MfaExpiredError) this.mfaToken = undefined;
      throw error;
    }
    this.mfaToken = undefined;
    const tokens = answer;
    if (key && tokens.token_type !== 'DPoP') {
      // Never run unbound when the app asked for binding; the device the server just made
      // would otherwise stay active until its refresh token expires.
      await this.revoke(tokens.refresh_token).catch(() => undefined);
      throw new DpopNotSupportedError();
    }
    // Under the lock, so that a refresh of the previous session cannot land after this save.
    const session = await this.withLock(async () => {
      const previous = await this.readStored();
      if (key) {
        await this.storage.setKey?.(this.keyName(key.id), key.keyPair);
        this.key = key;
      }
      const session = await this.store(tokens, sentAt, key?.id);
      if (previous && 'keyId' in previous && previous.keyId && previous.keyId !== key?.id) {
        await this.storage.removeKey?.(this.keyName(previous.keyId));
      }
      this.signedOutReason = undefined;
      return session;
    });
    return { deviceId: session.deviceId };
  }

  /** A passkey ceremony's client half: the server's challenge (`POST /auth/passkey/options`), signed through `getAssertion`. */
  private async passkeyAssertion(getAssertion: GetAssertion): Promise<{ challengeId: string; response: AuthenticationResponseJSON }> {
    const response = await this.publicRequest('/auth/passkey/options', undefined);
    const body = (await readJson(response)) as { challengeId?: unknown; options?: { challenge?: unknown } } | undefined;
    if (typeof body?.challengeId !== 'string' || typeof body.options?.challenge !== 'string') {
      throw new AuthHttpError(response.status, body);
    }
    const options = body.options as PublicKeyCredentialRequestOptionsJSON;
    return { challengeId: body.challengeId, response: await getAssertion(options) };
  }

  /**
   * Ends the session: revokes this device at the server (RFC 7009 revocation with the refresh
   * token, so it works even when the access token has expired) and forgets it locally. The
   * local sign-out happens even when the server cannot be reached; the promise then rejects,
   * so the app knows the device may still be listed as active.
   */
  async logout(): Promise<void> {
    let failure: unknown;
    await this.withLock(async () => {
      const stored = await this.readStored();
      if (stored && !('signedOut' in stored)) {
        try {
          await this.revoke(stored.refreshToken, stored.keyId ? await this.storedKey(stored.keyId) : undefined);
        } catch (error) {
          failure = error;
        }
      }
      await this.end('logout', sessionIn(stored));
    });
    if (failure) throw failure;
  }

  /**
   * Mails a password reset link to `email` if it has an account (the server answers alike
   * either way, so nothing tells whether it has). Needs no session.
   */
  async requestPasswordReset(email: string): Promise<void> {
    await discard(await this.publicRequest('/auth/password/forgot', { email }));
  }

  /**
   * Sets a new password with the token of a mailed reset link. Does not sign in; the server
   * signs out every device of the account, so a session this client keeps for it ends with
   * `password_changed` on its next call.
   */
  async resetPassword(token: string, newPassword: string): Promise<void> {
    await discard(await this.publicRequest('/auth/password/reset', { token, newPassword }));
  }

  /** Verifies the account's address with the token of a mailed verification link. Needs no session. */
  async verifyEmail(token: string): Promise<void> {
    await discard(await this.publicRequest('/auth/email/verify', { token }));
  }

  /** Mails the signed-in account a new verification link (one a minute; `AuthHttpError` 429 with `retryAfter` within it). */
  async requestEmailVerification(): Promise<void> {
    await discard(await this.accountRequest('POST', '/auth/email/verify/request'));
  }

  /** The signed-in account (`GET /account`). */
  async getAccount(): Promise<Account> {
    return (await (await this.accountRequest('GET', '/account')).json()) as Account;
  }

  /**
   * Authenticates again on this device (RFC 9470 step-up), e.g. after a StepUpRequiredError,
   * with the password (a string, or `{ password, code }` when the account has two-step
   * verification) or `{ passkey: getAssertion }`: the server answers new tokens for the same
   * device with a fresh authentication time, stored as a refresh's are (a bound session stays
   * bound to its key). A wrong password rejects with `AuthHttpError` 401, a wrong or missing code
   * with InvalidCodeError, a refused passkey with PasskeyRejectedError; the session stays as it was.
   */
  async reauthenticate(credentials: string | ReauthenticateInput): Promise<void> {
    const input = typeof credentials === 'string' ? { password: credentials } : credentials;
    const passkey = 'passkey' in input;
    if (passkey && !(await this.load())) throw new SignedOutError(this.signedOutReason ?? 'logout');
    // The passkey prompt waits for the user: before taking the lock, which refreshes need.
    const body = passkey ? await this.passkeyAssertion(input.passkey) : input;
    // Under the lock: the answer spends the device's refresh token, which a refresh running
    // beside it (in this instance or another sharing the storage) would present again as theft.
    await this.withLock(async () => {
      const request = jsonRequest(this.baseUrl + '/auth/reauthenticate', 'POST', body);
      const sentAt = this.now();
      const { response, session } = await this.authorized(request, (stale) => this.refreshLocked(stale));
      const answer = await readJson(response);
      if (!response.ok || !isTokenResponse(answer)) throw refusal(response, answer, passkey);
      await this.store(answer, sentAt, session.keyId);
    });
  }

  /**
   * Deletes the account: a step-up operation (StepUpRequiredError unless this device
   * authenticated within the server's `STEP_UP_MAX_AGE`). The server signs out every device;
   * this one is signed out here at once, with reason `logout` (the app asked for it).
   */
  async deleteAccount(): Promise<void> {
    await discard(await this.accountRequest('DELETE', '/account'));
    await this.withLock(async () => this.end('logout', sessionIn(await this.readStored())));
  }

  /**
   * `fetch` for the API: adds `Authorization` (and a DPoP proof with `ath` when bound),
   * refreshes first when the token is about to expire, and after a `401 invalid_token`
   * refreshes once and retries once. Rejects with SignedOutError when the session has ended.
   * GET/HEAD/OPTIONS are retried through network errors; other methods are not (they may
   * have taken effect). Redirects within the allowed origins are followed by the client (up to
   * 5, each with a fresh proof); any other redirect is returned as it is, nothing sent there.
   */
  async fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const request = new Request(this.resolve(input), init);
    if (!this.allowedOrigins.has(new URL(request.url).origin)) {
      throw new TypeError(`AuthClient.fetch sends the token only to ${[...this.allowedOrigins].join(', ')}`);
    }
    return (await this.authorized(request, (stale) => this.refresh(stale))).response;
  }

  /**
   * `fetch`'s work once the origin is checked: sends `request` with the session's credentials,
   * refreshing with `refresh` first when the token is due, and once more (then retrying once)
   * after a `401 invalid_token`. `refresh` is the single-flight one, or `refreshLocked` for a
   * caller that holds the lock already. Also gives the session the answer was sent with.
   */
  private async authorized(
    request: Request,
    refresh: (staleAccessToken: string) => Promise<Session>,
  ): Promise<{ response: Response; session: Session }> {
    const loaded = await this.load();
    if (!loaded) throw new SignedOutError(this.signedOutReason ?? 'logout');
    let session = this.refreshDue(loaded) ? await refresh(loaded.accessToken) : loaded;
    let response = await this.send(request, session);
    if (challengeOf(response) === 'invalid_token') {
      // The token was refused before its time (revoked, server key rotated, clocks apart):
      // one refresh tells a passing problem from an ended session.
      session = await refresh(session.accessToken);
      response = await this.send(request, session);
    }
    return { response, session };
  }

  /** An account call through `fetch` (credentials, refresh): its answer when 2xx, else the error it stands for. */
  private async accountRequest(method: string, path: string): Promise<Response> {
    return succeeded(await this.fetch(jsonRequest(this.baseUrl + path, method)));
  }

  /** A call that needs no session, sent by `tokenRequest`'s rules: its answer when 2xx, else the error it stands for. */
  private async publicRequest(path: string, body: unknown): Promise<Response> {
    return succeeded(await this.tokenRequest(path, body, undefined, false));
  }

  private resolve(input: string | URL | Request): string | Request {
    if (typeof input === 'string' && input.startsWith('/')) return this.baseUrl + input;
    return input instanceof URL ? input.href : input;
  }

  /** Sends a resource request, following its redirects within the allowed origins. */
  private async send(request: Request, session: Session): Promise<Response> {
    const key = session.keyId ? await this.keyFor(session) : undefined;
    return this.follow(request, this.allowedOrigins, (hop) => this.sendHop(hop, session, key));
  }

  /** Sends one resource request (no redirect followed), answering a `use_dpop_nonce` challenge once. */
  private async sendHop(request: Request, session: Session, key: DpopKey | undefined): Promise<Response> {
    const attempt = () =>
      this.withRetry(
        async () => {
          // The caller gave up while we waited to retry (written out: older AbortSignal polyfills lack throwIfAborted).
          if (request.signal?.aborted) throw request.signal.reason ?? abortError();
          const copy = new Request(request.clone(), { redirect: 'manual' });
          copy.headers.set('authorization', `${session.tokenType} ${session.accessToken}`);
          if (key) copy.headers.set('dpop', await key.proof(copy.url, copy.method, this.nonce, session.accessToken));
          return this.receive(await this.http(copy));
        },
        () => false,
        IDEMPOTENT.has(request.method),
      );
    const response = await attempt();
    if (key && challengeOf(response) === 'use_dpop_nonce' && this.nonce) return attempt();
    return response;
  }

  /**
   * Sends `request` with `sendHop` (which adds the credentials and must not follow redirects:
   * `redirect: 'manual'`), and follows a redirect to one of `origins` itself, as fetch would
   * (303, and 301/302 after a POST, become a GET without body; 307/308 repeat method and body),
   * at most MAX_REDIRECTS times. A redirect anywhere else, one too many, or a browser's
   * `opaqueredirect` (status 0, no Location to read) is returned as it is: nothing is sent there.
   * The request's own `redirect: 'manual'` returns the first redirect, `'error'` rejects on it.
   */
  private async follow(request: Request, origins: Set<string>, sendHop: (hop: Request) => Promise<Response>): Promise<Response> {
    // Fetch polyfills (React Native's) may lack `redirect`; they also ignore 'manual' (see the README).
    const mode = request.redirect ?? 'follow';
    let hop = request;
    for (let redirects = 0; ; redirects++) {
      const response = await sendHop(hop);
      if (mode === 'error' && (REDIRECTS.has(response.status) || response.type === 'opaqueredirect')) {
        await response.body?.cancel().catch(() => undefined);
        throw new TypeError(`AuthClient: ${request.url} was redirected, and the request says redirect: 'error'`);
      }
      const next = mode === 'follow' && redirects < MAX_REDIRECTS ? await redirected(hop, response, origins) : undefined;
      if (!next) return response;
      await response.body?.cancel().catch(() => undefined);
      hop = next;
    }
  }

  /**
   * Within `refreshSkew` of expiry, or past half the token's lifetime when that is shorter
   * (a skew longer than the lifetime would otherwise refresh on every call).
   */
  private refreshDue(session: Session): boolean {
    const lifetime = session.expiresAt - (session.issuedAt ?? -Infinity);
    return this.now() >= session.expiresAt - Math.min(this.skewMs, lifetime / 2);
  }

  /** One refresh for every caller of this instance, and under the storage's lock for all instances. */
  private refresh(staleAccessToken: string): Promise<Session> {
    return this.refreshFlight.run(() => this.withLock(() => this.refreshLocked(staleAccessToken)));
  }

  private async refreshLocked(staleAccessToken: string): Promise<Session> {
    // Another instance sharing the storage may have refreshed (or ended the session) while
    // this one waited for the lock: the stored state is the truth, the memory a cache.
    const stored = await this.readStored();
    if (!stored || 'signedOut' in stored) {
      const reason = stored ? stored.signedOut : 'logout';
      await this.end(reason, null);
      throw new SignedOutError(reason);
    }
    this.session = stored;
    if (stored.accessToken !== staleAccessToken && !this.refreshDue(stored)) return stored;

    const key = stored.keyId ? await this.keyFor(stored) : undefined;
    const sentAt = this.now();
    const response = await this.tokenRequest('/auth/refresh', { refresh_token: stored.refreshToken }, key, true);
    const body = await readJson(response);
    if (response.ok && isTokenResponse(body)) return this.store(body, sentAt, stored.keyId);
    const error = (body as { error?: unknown; reason?: unknown } | undefined)?.error;
    if (response.status === 400 && error === 'invalid_grant') {
      const reason = serverReason((body as { reason?: unknown }).reason);
      await this.end(reason, stored);
      throw new SignedOutError(reason);
    }
    throw new AuthHttpError(response.status, body, retryAfterOf(response));
  }

  /**
   * Makes a token response (login, refresh, reauthenticate) the session. Saved before anyone
   * uses it: if the app dies here after a refresh, storage still holds the parent, whose retry
   * the server's reuse grace answers with this same successor.
   */
  private async store(tokens: TokenResponseBody, sentAt: number, keyId: string | undefined): Promise<Session> {
    const session = sessionOf(tokens, sentAt, keyId);
    await this.save(session);
    this.session = session;
    return session;
  }

  /**
   * POSTs JSON to a token endpoint (or another that needs no session: account recovery) with
   * a fresh DPoP proof per attempt (when `key`), answering one `use_dpop_nonce` with the nonce
   * the server sent; `transient` also retries network errors, 5xx and 429 with backoff
   * (refresh is safe to repeat thanks to the reuse grace).
   * Redirects are followed only within the origin of `baseUrl` (the body holds a password or a
   * refresh token, which `allowedOrigins` have no use for); any other is returned as it is.
   */
  private tokenRequest(path: string, body: unknown, key: DpopKey | undefined, transient: boolean): Promise<Response> {
    const request = jsonRequest(this.baseUrl + path, 'POST', body);
    return this.follow(request, this.apiOrigin, (hop) => this.tokenHop(hop, key, transient));
  }

  private async tokenHop(request: Request, key: DpopKey | undefined, transient: boolean): Promise<Response> {
    const attempt = () =>
      this.withRetry(
        async () => {
          const copy = new Request(request.clone(), { redirect: 'manual' });
          if (key) copy.headers.set('dpop', await key.proof(copy.url, copy.method, this.nonce));
          return this.receive(await this.http(copy));
        },
        (response) => transient && (response.status >= 500 || response.status === 429),
        transient,
      );
    const response = await attempt();
    if (key && response.status === 400 && response.headers.has('dpop-nonce')) {
      const error = ((await readJson(response.clone())) as { error?: unknown } | undefined)?.error;
      if (error === 'use_dpop_nonce') return attempt();
    }
    return response;
  }

  /**
   * RFC 7009 revocation of this device by its refresh token; a bound device's needs a proof by
   * its key (the server refuses to let the refresh token alone end a bound session).
   */
  private async revoke(refreshToken: string, key?: DpopKey): Promise<void> {
    const response = await this.tokenRequest('/auth/revoke', { token: refreshToken }, key, true);
    if (!response.ok) throw new AuthHttpError(response.status, await readJson(response), retryAfterOf(response));
  }

  /**
   * Runs `send` until it answers, waiting 0.25 s, 0.5 s, 1 s … (at most 5 s, or the server's
   * Retry-After) between attempts, for up to `retryTimeout`; then the last answer is returned
   * or AuthNetworkError thrown. An abort by the caller's signal (AbortError) is passed on at once.
   */
  private async withRetry(
    send: () => Promise<Response>,
    retryable: (response: Response) => boolean,
    retryNetwork: boolean,
  ): Promise<Response> {
    // Real time, not `now`: this is about how long to wait, not about token expiry.
    const deadline = Date.now() + this.retryTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      const backoff = Math.min(250 * 2 ** attempt, 5000) * (0.75 + Math.random() / 2);
      let response: Response;
      try {
        response = await send();
      } catch (error) {
        // fetch reports an unreachable server, a reset connection, a DNS failure as TypeError
        // (compared by name: the error may come from another realm, e.g. a test VM).
        if (!isNamed(error, 'TypeError')) throw error;
        if (!retryNetwork || Date.now() + backoff > deadline) throw new AuthNetworkError(error);
        await sleep(backoff);
        continue;
      }
      if (!retryable(response)) return response;
      const wait = Math.max(backoff, Math.min((retryAfterOf(response) ?? 0) * 1000, 5000));
      if (Date.now() + wait > deadline) return response;
      await response.body?.cancel().catch(() => undefined);
      await sleep(wait);
    }
  }

  private receive(response: Response): Response {
    const nonce = response.headers.get('dpop-nonce');
    if (nonce) this.nonce = nonce;
    return response;
  }

  private async keyFor(session: Session): Promise<DpopKey> {
    const key = await this.storedKey(session.keyId!);
    if (!key) {
      await this.end('key_unavailable', session);
      throw new SignedOutError('key_unavailable');
    }
    return key;
  }

  /** The session's key, from memory or the storage; undefined when the storage cannot give it. */
  private async storedKey(keyId: string): Promise<DpopKey | undefined> {
    if (this.key?.id === keyId) return this.key;
    const keyPair = await this.storage.getKey?.(this.keyName(keyId));
    if (!keyPair) return undefined;
    this.key = new DpopKey(keyId, keyPair);
    return this.key;
  }

  private load(): Promise<Session | null> {
    if (this.session !== undefined) return Promise.resolve(this.session);
    this.loading ??= this.readStored().then((stored) => {
      if (this.session === undefined) {
        if (stored && 'signedOut' in stored) this.signedOutReason = stored.signedOut;
        this.session = stored && !('signedOut' in stored) ? stored : null;
      }
      this.loading = undefined;
      return this.session;
    });
    return this.loading;
  }

  private async readStored(): Promise<StoredState | null> {
    const text = await this.storage.getItem(this.sessionKey);
    if (!text) return null;
    try {
      const state = JSON.parse(text) as StoredState;
      // Anything else (another app's value, an older format) is treated as no session.
      if ('signedOut' in state || typeof state.refreshToken === 'string') return state;
    } catch {
      // not JSON: as above
    }
    return null;
  }

  private save(state: StoredState): Promise<void> {
    return Promise.resolve(this.storage.setItem(this.sessionKey, JSON.stringify(state)));
  }

  /** Forgets the session (and its key), records why for other instances, tells the app once. */
  private async end(reason: SignOutReason, session: Session | null): Promise<void> {
    const wasSignedIn = this.session !== null;
    this.session = null;
    this.signedOutReason = reason;
    await this.save({ signedOut: reason });
    const keyId = session?.keyId ?? this.key?.id;
    if (keyId) await this.storage.removeKey?.(this.keyName(keyId));
    this.key = undefined;
    if (!wasSignedIn) return;
    for (const listener of this.signedOutListeners) {
      try {
        listener({ reason });
      } catch (error) {
        // The app's listener failing must not leave the sign-out half done; report it apart.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }

  private withLock<T>(fn: () => Promise<T>): Promise<T> {
    return this.storage.lock ? this.storage.lock(this.lockName, fn) : this.localLocks.run(this.lockName, fn);
  }

  private keyName(keyId: string): string {
    return `${this.sessionKey}:dpop-key:${keyId}`;
  }
}

/** The session in a stored state, null when signed out. */
function sessionIn(stored: StoredState | null): Session | null {
  return stored && !('signedOut' in stored) ? stored : null;
}

/** A request that accepts JSON, with `body` as JSON when given. */
function jsonRequest(url: string, method: string, body?: unknown): Request {
  if (body === undefined) return new Request(url, { method, headers: { accept: 'application/json' } });
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  return new Request(url, { method, headers, body: JSON.stringify(body) });
}

/** `response` when it is a 2xx; otherwise rejects with the error it stands for (`refusal`). */
async function succeeded(response: Response): Promise<Response> {
  if (response.ok) return response;
  throw refusal(response, await readJson(response));
}

/**
 * The typed error for a refusal whose `body` was read: StepUpRequiredError for a `401
 * insufficient_user_authentication` challenge (RFC 9470), the second factor's (`mfa_required`,
 * `invalid_code`, `invalid_mfa_token`), PasskeyRejectedError for a `401` without challenge to a
 * request carrying an assertion (`passkey`), AuthHttpError for anything else.
 */
function refusal(response: Response, body: unknown, passkey = false): AuthHttpError {
  const challenge = challengeOf(response);
  if (challenge === 'insufficient_user_authentication') {
    const maxAge = /max_age="?(\d+)/.exec(response.headers.get('www-authenticate') ?? '')?.[1];
    return new StepUpRequiredError(maxAge === undefined ? undefined : Number(maxAge), body);
  }
  if (response.status === 401) {
    const { error, mfaToken } = (body ?? {}) as { error?: unknown; mfaToken?: unknown };
    if (error === 'mfa_required' && typeof mfaToken === 'string') return new MfaRequiredError(body);
    if (error === 'invalid_code') return new InvalidCodeError(body);
    if (error === 'invalid_mfa_token') return new MfaExpiredError(body);
    if (passkey && challenge === undefined) return new PasskeyRejectedError(body);
  }
  return new AuthHttpError(response.status, body, retryAfterOf(response));
}

/** Lets go of an answer whose body says nothing (202, 204). */
async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

function isTokenResponse(body: unknown): body is TokenResponseBody {
  const tokens = body as Partial<TokenResponseBody> | undefined;
  return (
    typeof tokens?.access_token === 'string' &&
    typeof tokens.refresh_token === 'string' &&
    typeof tokens.token_type === 'string' &&
    typeof tokens.device_id === 'string' &&
    typeof tokens.expires_in === 'number' &&
    tokens.expires_in > 0
  );
}

function sessionOf(tokens: TokenResponseBody, sentAt: number, keyId: string | undefined): Session {
  return {
    accessToken: tokens.access_token,
    tokenType: tokens.token_type === 'DPoP' ? 'DPoP' : 'Bearer',
    // Measured from when the request left, so a slow answer errs towards refreshing early.
    issuedAt: sentAt,
    expiresAt: sentAt + tokens.expires_in * 1000,
    refreshToken: tokens.refresh_token,
    deviceId: tokens.device_id,
    ...(keyId ? { keyId } : {}),
  };
}

/**
 * The request to send after `response` to `request` when it is a redirect (with a Location)
 * to one of `origins`, by fetch's rules; undefined otherwise.
 */
async function redirected(request: Request, response: Response, origins: Set<string>): Promise<Request | undefined> {
  const location = response.headers.get('location');
  if (!REDIRECTS.has(response.status) || location === null) return undefined;
  let url: URL;
  try {
    url = new URL(location, request.url);
  } catch {
    return undefined;
  }
  if (!origins.has(url.origin)) return undefined;
  const toGet =
    (response.status === 303 && request.method !== 'GET' && request.method !== 'HEAD') ||
    ((response.status === 301 || response.status === 302) && request.method === 'POST');
  const method = toGet ? 'GET' : request.method;
  const headers = new Headers(request.headers);
  if (toGet) for (const name of BODY_HEADERS) headers.delete(name);
  // Read into memory (from a clone: `request` stays sendable), so the next hop can be repeated in turn.
  const body = method === 'GET' || method === 'HEAD' || request.body === null ? undefined : await request.clone().arrayBuffer();
  return new Request(url, {
    method,
    headers,
    body,
    signal: request.signal,
    credentials: request.credentials,
    keepalive: request.keepalive,
    referrerPolicy: request.referrerPolicy,
  });
}

/** The `error` of a 401's `WWW-Authenticate` (RFC 6750 §3, RFC 9449 §7.1), if any. */
function challengeOf(response: Response): string | undefined {
  if (response.status !== 401) return undefined;
  return /error="([^"]+)"/.exec(response.headers.get('www-authenticate') ?? '')?.[1];
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

function retryAfterOf(response: Response): number | undefined {
  const value = Number(response.headers.get('retry-after'));
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

function isNamed(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === name;
}

function abortError(): Error {
  const error = new Error('The request was aborted');
  error.name = 'AbortError';
  return error;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
