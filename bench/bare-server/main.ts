// The floor for `GET /me`: a bare node:http server that checks the same HS256 access token
// with node:crypto (signature, alg, typ, kid, iss, aud, exp, iat, claims, a revocation Map)
// and answers the same JSON. No framework, no routing table, no validation pipe: what is left
// is the cost of HTTP parsing, one HMAC and two JSON.parse calls. Bench only; never shipped.
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';

const env = process.env;
const required = (name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const key = createSecretKey(Buffer.from(required('JWT_SECRET')));
const keyId = required('BENCH_JWT_KID');
const issuer = required('JWT_ISSUER');
const audience = required('JWT_AUDIENCE');
const CLOCK_TOLERANCE_S = 5;
/** Kept for parity with the API's RevocationSet: the lookup is part of the checked path. */
const revoked = new Map<string, number>();

interface Principal {
  userId: string;
  deviceId: string;
  expiresAt: number;
}

function decodeSegment(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function verify(authorization: string | undefined): Principal | null {
  if (authorization === undefined || !authorization.startsWith('Bearer ')) return null;
  const token = authorization.slice(7);
  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);
  if (firstDot < 1 || secondDot < 0 || token.indexOf('.', secondDot + 1) !== -1) return null;
  const signature = Buffer.from(token.slice(secondDot + 1), 'base64url');
  const expected = createHmac('sha256', key).update(token.slice(0, secondDot)).digest();
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return null;
  const header = decodeSegment(token.slice(0, firstDot));
  if (!header || header.alg !== 'HS256' || header.typ !== 'at+jwt' || header.kid !== keyId) return null;
  const claims = decodeSegment(token.slice(firstDot + 1, secondDot));
  if (!claims) return null;
  const { iss, aud, sub, sid, jti, exp, iat } = claims;
  const nowS = Date.now() / 1000;
  if (
    iss !== issuer ||
    !(aud === audience || (Array.isArray(aud) && aud.includes(audience))) ||
    typeof sub !== 'string' ||
    typeof sid !== 'string' ||
    typeof jti !== 'string' ||
    typeof exp !== 'number' ||
    typeof iat !== 'number' ||
    exp + CLOCK_TOLERANCE_S <= nowS ||
    iat > nowS + CLOCK_TOLERANCE_S ||
    revoked.has(sid)
  ) {
    return null;
  }
  return { userId: sub, deviceId: sid, expiresAt: exp * 1000 };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  response.end(json);
}

const server = createServer((request, response) => {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method === 'GET' && path === '/me') {
    const principal = verify(request.headers.authorization);
    if (!principal) {
      response.setHeader('www-authenticate', 'Bearer error="invalid_token"');
      return send(response, 401, { status: 401, title: 'Unauthorized' });
    }
    return send(response, 200, {
      userId: principal.userId,
      deviceId: principal.deviceId,
      expiresAt: new Date(principal.expiresAt).toISOString(),
    });
  }
  if (request.method === 'GET' && (path === '/' || path === '/health')) return send(response, 200, { status: 'ok' });
  send(response, 404, { status: 404, title: 'Not Found' });
});

server.keepAliveTimeout = 60_000;
server.listen(Number(required('PORT')), env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
