/**
 * What a log line must never carry, wherever it is logged from: credentials in headers
 * (`Authorization`, cookies, DPoP proofs), and the secrets of our bodies and rows. The request
 * log writes chosen fields only (no headers, no bodies); these paths are the second line, for
 * whatever a future `logger.info({ request })` or a library's error object brings along.
 */
const SECRET_FIELDS = [
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'token',
  'access_token',
  'refresh_token',
  'tokenHash',
  'sealedSuccessor',
  'secret',
];

const SECRET_HEADERS = ['authorization', 'cookie', 'dpop', 'set-cookie', 'x-api-key'];

export const REDACTED_PATHS: readonly string[] = [
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
  ...SECRET_HEADERS.flatMap((header) => [`headers["${header}"]`, `*.headers["${header}"]`]),
];
