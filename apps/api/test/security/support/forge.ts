import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/**
 * Builds JWTs by hand, the way an attacker would, so that nothing in the construction goes
 * through the library under test (jsonwebtoken would refuse to sign some of these).
 */

export type JwtHeader = Record<string, unknown>;
export type JwtClaims = Record<string, unknown>;

export function segment(value: object | string): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** `header.payload` followed by `.signature` (already base64url), unsigned when empty. */
export function assemble(header: JwtHeader | string, claims: JwtClaims | string, signature = ''): string {
  return `${segment(header)}.${segment(claims)}.${signature}`;
}

const HMAC_HASH = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' } as const;

/** An HMAC-signed JWT; the header's `alg` is whatever the caller says (it need not match). Strings go in as they are. */
export function signHmac(
  header: JwtHeader | string,
  claims: JwtClaims | string,
  key: string | Buffer | KeyObject,
  hash: keyof typeof HMAC_HASH = 'HS256',
): string {
  const input = `${segment(header)}.${segment(claims)}`;
  return `${input}.${createHmac(HMAC_HASH[hash], key).update(input).digest('base64url')}`;
}

/** An ES256 (JOSE r‖s signature) or RS256 JWT under the given private key. */
export function signAsymmetric(header: JwtHeader, claims: JwtClaims, privateKey: KeyObject, alg: 'ES256' | 'RS256'): string {
  const input = `${segment(header)}.${segment(claims)}`;
  const signature =
    alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', Buffer.from(input), privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

export interface AttackerKeys {
  readonly ec: { privateKey: KeyObject; publicJwk: Record<string, unknown> };
  readonly rsa: { privateKey: KeyObject; publicJwk: Record<string, unknown> };
}

/** Key pairs the attacker controls (and could publish at a `jku`/`x5u` of their own). */
export function attackerKeys(): AttackerKeys {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ec: { privateKey: ec.privateKey, publicJwk: ec.publicKey.export({ format: 'jwk' }) },
    rsa: { privateKey: rsa.privateKey, publicJwk: rsa.publicKey.export({ format: 'jwk' }) },
  };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
