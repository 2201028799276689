/** No usable dashboard session: the filter sends the browser to the sign-in page. */
export class SignInRequired extends Error {
  constructor() {
    super('Sign in to continue.');
    this.name = 'SignInRequired';
  }
}

/** Only a path on this site may follow sign-in: never another origin (no open redirect). */
export function safeNextPath(next: unknown): string | undefined {
  if (typeof next !== 'string' || next.length > 512) return undefined;
  return /^\/(?![/\\])[^\s]*$/.test(next) ? next : undefined;
}
