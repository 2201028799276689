import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

/** Without a `max-age` from the server, the set is kept this long (jose's own default). */
const DEFAULT_MAX_AGE_MS = 10 * 60_000;
/** An unknown `kid` fetches the set again at most this often (jose's cooldown). */
const UNKNOWN_KID_COOLDOWN_MS = 30_000;
/** A failed fetch is not repeated sooner than this, while the set held keeps serving. */
const RETRY_AFTER_FAILURE_MS = 5_000;
const FETCH_TIMEOUT_MS = 5_000;

/**
 * The API's JWK set, fetched and cached as the API asks (API.md § Signing keys and their
 * rotation): kept for its `Cache-Control: max-age`, fetched again at once when a token names a
 * `kid` it does not hold (at most once per 30 s), and the set held goes on serving while a
 * fetch fails. Key selection and every signature check are jose's (createLocalJWKSet).
 */
export class RemoteKeySet {
  private local: JWTVerifyGetKey | null = null;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private freshUntil = 0;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly url: URL,
    private readonly fetchImplementation: typeof fetch,
    private readonly now: () => number = Date.now,
  ) {}

  /** For jose's jwtVerify: the key for the token's header. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (this.local === null || this.now() >= this.freshUntil) await this.reload(this.local === null);
    try {
      return await (this.local as JWTVerifyGetKey)(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || this.now() - this.fetchedAt < UNKNOWN_KID_COOLDOWN_MS) throw error;
      await this.reload(true);
      return (this.local as JWTVerifyGetKey)(header, token);
    }
  };

  /** One fetch at a time; `mustSucceed` when there is no usable set without it. */
  private async reload(mustSucceed: boolean): Promise<void> {
    this.pending ??= this.fetchSet().finally(() => (this.pending = null));
    try {
      await this.pending;
    } catch (error) {
      if (mustSucceed || this.local === null) throw error;
    }
  }

  private async fetchSet(): Promise<void> {
    const started = this.now();
    try {
      const response = await this.fetchImplementation(this.url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`the JWK set answered ${response.status}`);
      const set = (await response.json()) as JSONWebKeySet;
      this.local = createLocalJWKSet(set);
      this.fetchedAt = started;
      const maxAge = /(?:^|,)\s*max-age=(\d+)/i.exec(response.headers.get('cache-control') ?? '');
      this.freshUntil = started + (maxAge ? Number(maxAge[1]) * 1000 : DEFAULT_MAX_AGE_MS);
    } catch (error) {
      this.freshUntil = started + RETRY_AFTER_FAILURE_MS;
      throw error;
    }
  }
}
