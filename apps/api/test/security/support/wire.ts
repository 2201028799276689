/** What the assertions need of a response: supertest's, or one read off a raw socket. */
export interface WireResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

/** The one answer to every bad access token but an expired one (API.md, RFC 6750 §3). */
export const INVALID_TOKEN_BODY = {
  type: 'urn:problem-type:device-auth:invalid-token',
  title: 'Unauthorized',
  status: 401,
  detail: 'The access token is invalid.',
};
export const INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token", error_description="The access token is invalid."';

/**
 * What must never leave the process: stack frames, source paths, SQL, driver and ORM names.
 * Checked against every error body the suite sees.
 */
const LEAK_PATTERNS = [
  /\bat [\w.<>]+ \(/,
  /node_modules|\/work\/|\.[jt]s:\d+/,
  /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b/,
  /SQLITE_|QueryFailedError|TypeORM|better-sqlite3|\bpg\b|RangeError|TypeError|URIError|stack/i,
];

export function expectNoLeak(response: WireResponse): void {
  for (const pattern of LEAK_PATTERNS) expect(response.text ?? '').not.toMatch(pattern);
}

/** 401 with the fixed body and challenge: which check failed is not told. */
export function expectInvalidToken(response: WireResponse): void {
  expect(response.status).toBe(401);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.headers['www-authenticate']).toBe(INVALID_TOKEN_CHALLENGE);
  expect(response.body).toEqual(INVALID_TOKEN_BODY);
}

/** An RFC 9457 problem with the given status (and, for validation failures, `errors`). */
export function expectProblem(response: WireResponse, status: number): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const { type, title, detail, errors, ...rest } = response.body as Record<string, unknown>;
  expect({ type, title, status: rest.status, detail }).toEqual({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  });
  expect(Object.keys(rest)).toEqual(['status']);
  if (errors !== undefined) {
    expect(errors).toEqual(expect.arrayContaining([{ field: expect.any(String), message: expect.any(String) }]));
  }
  expectNoLeak(response);
}

/** An RFC 6749 §5.2 error, as /auth/refresh and /auth/revoke answer. */
export function expectOAuthError(response: WireResponse, status: number, error?: string): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.headers['cache-control']).toBe('no-store');
  const { reason, ...rest } = response.body as { reason?: unknown };
  expect(rest).toEqual({
    error: error ?? expect.stringMatching(/^(invalid_request|invalid_grant|unsupported_grant_type)$/),
    error_description: expect.any(String),
  });
  // API.md: an invalid_grant (and only it) says why the session ended.
  if (rest && (rest as { error?: unknown }).error === 'invalid_grant') {
    expect(reason).toMatch(/^(revoked|password_changed|reused|expired|session_expired|invalid)$/);
  } else {
    expect(reason).toBeUndefined();
  }
  expectNoLeak(response);
}
