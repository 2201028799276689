/** No usable dashboard session: the filter sends the browser to the sign-in page. */
export class SignInRequired extends Error {
  constructor() {
    super('Sign in to continue.');
    this.name = 'SignInRequired';
  }
}

/**
 * Where sign-in may lead: a path on this site only (no open redirect), made of printable ASCII
 * (0x21–0x7E, so it is always a valid Location header: no spaces, controls or non-ASCII),
 * starting with exactly one `/` (`//host` and `/\host` name another origin in browsers).
 */
const SAME_ORIGIN_PATH = /^\/(?![/\\])[\x21-\x7e]*$/;

/** Only a path on this site may follow sign-in: anything else is undefined (then /devices). */
export function safeNextPath(next: unknown): string | undefined {
  if (typeof next !== 'string' || next.length > 512) return undefined;
  return SAME_ORIGIN_PATH.test(next) ? next : undefined;
}
