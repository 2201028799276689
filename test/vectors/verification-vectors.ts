// One table of verification vectors, run by the package's tests (libs/verifier/test) and the
// server's (libs/auth), which must give every vector the same verdict. Deterministic: fixed
// keys (test-only, generated for this file) and a fixed clock; the signatures differ from run
// to run (ECDSA), the verdicts never.
import { calculateJwkThumbprint, importJWK, SignJWT, base64url, type JWK, type CryptoKey } from 'jose';
import { createHash, createHmac, createPublicKey } from 'node:crypto';

/** The vectors' clock, epoch ms. */
export const VECTOR_NOW_MS = 1_800_000_000_000;
const NOW_S = VECTOR_NOW_MS / 1000;
export const ISSUER = 'https://auth.vectors.test';
export const AUDIENCE = 'device-auth-api';
export const DASHBOARD_AUDIENCE = 'device-auth-dashboard';
export const KEY_ID = 'vector-key-1';
/** ACCESS_TOKEN_TTL of the server under test: tokens older than this (+5 s) are expired. */
export const ACCESS_TOKEN_TTL_S = 900;
export const DPOP_MAX_AGE_S = 60;
export const URL_ = 'https://api.vectors.test/v1/me';

export const TOKEN_KEY: JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'J_vsvOtmwyofEMxeFqY5VZrNRtygzslzJtLsXLi7rIY',
  y: 'mXV3-VAIGQ8x7nnPH-Nr5qskEoGllIYSsgHxdYwn7O4',
  d: 'MbfrAc9pYLgkTN5WzvuVUCQXDiHK3XjuOzh5whl-ATo',
};
export const TOKEN_PUBLIC_KEY: JWK = { kty: 'EC', crv: 'P-256', x: TOKEN_KEY.x, y: TOKEN_KEY.y };
const DPOP_KEY: JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'A5t2L5kUyxlK_xfHS4CWvFhzDMoQDOcem6VVogU_PTE',
  y: 'uNx7lT-Zt1WjPhNGBffNt4ss8Xab0K1XWydUSQm4x8I',
  d: '79cb20ZI_8lLrhR9n9nKHBsqHhT9SwhcsFpHJCyiYm0',
};
const OTHER_KEY: JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'HN_JgXNs0E1s2u4KdyJ_sWracXst1seXuaCYLxJWpX0',
  y: 'aFyNDstHcdsbkuMPd87_upA2ZPlJ7LlM5VkkVuqeOiA',
  d: '5ENa5BGgin8N45YLiShqEjX0EcyTnDz-VIk9p4kyAQQ',
};
const ED_KEY: JWK = {
  kty: 'OKP',
  crv: 'Ed25519',
  x: 'bcP_dmJP0zsjJtc6CFittPJZ-GZa0LdEskDN58Lln50',
  d: 'gYDMeC73OGnld7KH5pzIgVXL5akyHh_6y20Ko8Zao8Q',
};
const publicOf = ({ d: _d, ...rest }: JWK): JWK => rest;

/** accept, or the refusal: `expired` is `invalid_token` told apart as expired. */
/** Judged by the error's code, and `expired` when its message says so (the only failure told apart). */
export type Verdict = 'accept' | 'invalid_token' | 'expired' | 'invalid_dpop_proof';

export interface VerificationVector {
  readonly name: string;
  readonly authorization: string | undefined;
  readonly dpop?: string;
  readonly method: string;
  readonly url: string;
  readonly expect: Verdict;
}

type Claims = Record<string, unknown>;

async function sign(jwk: JWK, alg: string, header: Claims, payload: Claims): Promise<string> {
  const key = (await importJWK(jwk, alg)) as CryptoKey;
  return new SignJWT(payload).setProtectedHeader({ alg, ...header }).sign(key);
}

const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
const without = (object: Claims, name: string): Claims => Object.fromEntries(Object.entries(object).filter(([key]) => key !== name));

/** Builds the table (about 50 vectors). */
export async function verificationVectors(): Promise<VerificationVector[]> {
  const jkt = await calculateJwkThumbprint(publicOf(DPOP_KEY), 'sha256');
  const edJkt = await calculateJwkThumbprint(publicOf(ED_KEY), 'sha256');
  const tokenClaims = (extra: Claims = {}): Claims => ({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    sid: 'device-1',
    jti: 'token-1',
    iat: NOW_S - 10,
    exp: NOW_S - 10 + ACCESS_TOKEN_TTL_S,
    ...extra,
  });
  const tokenHeader = { typ: 'at+jwt', kid: KEY_ID };
  const token = (claims: Claims = {}, header: Claims = {}) => sign(TOKEN_KEY, 'ES256', { ...tokenHeader, ...header }, tokenClaims(claims));
  const bound = (claims: Claims = {}, header: Claims = {}) => token({ cnf: { jkt }, ...claims }, header);
  const ath = (accessToken: string) => createHash('sha256').update(accessToken, 'ascii').digest('base64url');
  const proofClaims = (accessToken: string, extra: Claims = {}): Claims => ({
    htm: 'GET',
    htu: URL_,
    iat: NOW_S - 1,
    jti: 'proof-1',
    ath: ath(accessToken),
    ...extra,
  });
  const proof = (accessToken: string, claims: Claims = {}, header: Claims = {}, key: JWK = DPOP_KEY, alg = 'ES256') =>
    sign(key, alg, { typ: 'dpop+jwt', jwk: publicOf(key), ...header }, proofClaims(accessToken, claims));
  const proofWithout = async (accessToken: string, claim: string) =>
    sign(DPOP_KEY, 'ES256', { typ: 'dpop+jwt', jwk: publicOf(DPOP_KEY) }, without(proofClaims(accessToken), claim));

  const vectors: VerificationVector[] = [];
  const bearer = (name: string, accessToken: string | undefined, expect: Verdict, authorization = `Bearer ${accessToken}`) =>
    vectors.push({ name, authorization, method: 'GET', url: URL_, expect });
  const dpop = (
    name: string,
    accessToken: string,
    proofJwt: string | undefined,
    expect: Verdict,
    request: Partial<VerificationVector> = {},
  ) => vectors.push({ name, authorization: `DPoP ${accessToken}`, dpop: proofJwt, method: 'GET', url: URL_, expect, ...request });

  // Bearer tokens.
  const good = await token();
  bearer('bearer: valid token', good, 'accept');
  bearer('bearer: scheme is case-insensitive', good, 'accept', `bearer ${good}`);
  bearer('bearer: no Authorization header', undefined, 'invalid_token', undefined as unknown as string);
  bearer('bearer: another scheme', good, 'invalid_token', `Basic ${good}`);
  bearer('bearer: not a JWT', 'not-a-token', 'invalid_token');
  bearer('bearer: too long', 'a'.repeat(9000), 'invalid_token');
  bearer('bearer: spaces around the token', good, 'accept', `Bearer   ${good}  `);
  bearer('bearer: a tab instead of a space', good, 'invalid_token', `Bearer\t${good}`);
  bearer('bearer: two tokens', good, 'invalid_token', `Bearer ${good} ${good}`);
  bearer('bearer: a character outside base64url', `${good}~`, 'invalid_token');
  bearer('bearer: four segments', `${good}.${good.split('.')[2]}`, 'invalid_token');
  bearer('alg none', `${encode({ alg: 'none', ...tokenHeader })}.${encode(tokenClaims())}.`, 'invalid_token');
  const pem = createPublicKey({ key: TOKEN_PUBLIC_KEY as never, format: 'jwk' }).export({ format: 'pem', type: 'spki' });
  const hsInput = `${encode({ alg: 'HS256', ...tokenHeader })}.${encode(tokenClaims())}`;
  bearer(
    'HS256 signed with the public key (algorithm confusion)',
    `${hsInput}.${createHmac('sha256', pem).update(hsInput).digest('base64url')}`,
    'invalid_token',
  );
  bearer('signed by another key', await sign(OTHER_KEY, 'ES256', tokenHeader, tokenClaims()), 'invalid_token');
  bearer('tampered payload', `${good.split('.')[0]}.${encode(tokenClaims({ sub: 'user-2' }))}.${good.split('.')[2]}`, 'invalid_token');
  bearer('wrong typ (JWT)', await token({}, { typ: 'JWT' }), 'invalid_token');
  bearer('typ missing', await sign(TOKEN_KEY, 'ES256', { kid: KEY_ID }, tokenClaims()), 'invalid_token');
  bearer('wrong iss', await token({ iss: 'https://evil.test' }), 'invalid_token');
  bearer('wrong aud', await token({ aud: 'someone-else' }), 'invalid_token');
  bearer('aud as an array', await token({ aud: [AUDIENCE] }), 'invalid_token');
  bearer('expired', await token({ iat: NOW_S - 1000, exp: NOW_S - 100 }), 'expired');
  bearer('exp within the clock tolerance', await token({ iat: NOW_S - 900, exp: NOW_S - 3 }), 'accept');
  bearer('older than the maximum age', await token({ iat: NOW_S - ACCESS_TOKEN_TTL_S - 20, exp: NOW_S + 600 }), 'expired');
  bearer('iat in the future', await token({ iat: NOW_S + 60, exp: NOW_S + 900 }), 'invalid_token');
  bearer('nbf in the future', await token({ nbf: NOW_S + 60 }), 'invalid_token');
  for (const claim of ['sub', 'sid', 'jti', 'exp', 'iat'])
    bearer(`missing ${claim}`, await sign(TOKEN_KEY, 'ES256', tokenHeader, without(tokenClaims(), claim)), 'invalid_token');
  bearer('non-string sid', await token({ sid: 42 }), 'invalid_token');
  bearer('non-string jti', await token({ jti: 7 }), 'invalid_token');
  bearer('cnf without jkt', await token({ cnf: {} }), 'invalid_token');
  bearer('cnf null', await token({ cnf: null }), 'invalid_token');
  bearer('bound token presented as Bearer', await bound(), 'invalid_token');

  // DPoP: the token and its binding.
  const boundToken = await bound();
  dpop('dpop: valid proof', boundToken, await proof(boundToken), 'accept');
  dpop('dpop: Ed25519 proof (EdDSA)', await bound({ cnf: { jkt: edJkt } }), undefined, 'accept');
  const edToken = await bound({ cnf: { jkt: edJkt } });
  vectors[vectors.length - 1] = {
    ...vectors[vectors.length - 1],
    authorization: `DPoP ${edToken}`,
    dpop: await proof(edToken, {}, {}, ED_KEY, 'EdDSA'),
  };
  dpop('dpop: unbound token under the DPoP scheme (missing cnf binding)', good, await proof(good), 'invalid_token');
  dpop('dpop: expired bound token', await bound({ iat: NOW_S - 1000, exp: NOW_S - 100 }), await proof(boundToken), 'expired');
  dpop('dpop: proof by another key than cnf.jkt', boundToken, await proof(boundToken, {}, {}, OTHER_KEY), 'invalid_token');
  dpop('dpop: no proof', boundToken, undefined, 'invalid_dpop_proof');
  dpop('dpop: proof is not a JWT', boundToken, 'garbage', 'invalid_dpop_proof');
  dpop('dpop: proof too large', boundToken, 'a'.repeat(9000), 'invalid_dpop_proof');
  // The four rules the package's old copy had wrong.
  dpop(
    'dpop: htu with userinfo',
    boundToken,
    await proof(boundToken, { htu: 'https://user:pw@api.vectors.test/v1/me' }),
    'invalid_dpop_proof',
  );
  dpop(
    'dpop: htu percent-encoding normalised (%7e and lower-case hex)',
    boundToken,
    await proof(boundToken, { htu: 'https://API.vectors.test:443/v1/%6De' }),
    'accept',
    {
      url: 'https://api.vectors.test/v1/me',
    },
  );
  dpop('dpop: ath of another token', boundToken, await proof(await bound({ jti: 'token-2' })), 'invalid_dpop_proof');
  dpop('dpop: non-string jti', boundToken, await proof(boundToken, { jti: 12345 }), 'invalid_dpop_proof');
  // The rest of RFC 9449 §4.3.
  dpop('dpop: jti too long', boundToken, await proof(boundToken, { jti: 'j'.repeat(129) }), 'invalid_dpop_proof');
  dpop('dpop: empty jti', boundToken, await proof(boundToken, { jti: '' }), 'invalid_dpop_proof');
  dpop('dpop: ath missing', boundToken, await proofWithout(boundToken, 'ath'), 'invalid_dpop_proof');
  dpop('dpop: iat missing', boundToken, await proofWithout(boundToken, 'iat'), 'invalid_dpop_proof');
  dpop('dpop: wrong htm', boundToken, await proof(boundToken, { htm: 'POST' }), 'invalid_dpop_proof');
  dpop('dpop: htm in lower case', boundToken, await proof(boundToken, { htm: 'get' }), 'invalid_dpop_proof');
  dpop('dpop: wrong htu', boundToken, await proof(boundToken, { htu: 'https://api.vectors.test/v1/other' }), 'invalid_dpop_proof');
  dpop('dpop: htu query ignored', boundToken, await proof(boundToken, { htu: `${URL_}?a=1#f` }), 'accept');
  dpop('dpop: htu of another host', boundToken, await proof(boundToken, { htu: 'https://evil.test/v1/me' }), 'invalid_dpop_proof');
  dpop('dpop: proof too old', boundToken, await proof(boundToken, { iat: NOW_S - DPOP_MAX_AGE_S - 2 }), 'invalid_dpop_proof');
  dpop('dpop: proof iat in the future', boundToken, await proof(boundToken, { iat: NOW_S + 30 }), 'invalid_dpop_proof');
  dpop('dpop: wrong typ', boundToken, await proof(boundToken, {}, { typ: 'JWT' }), 'invalid_dpop_proof');
  dpop('dpop: jwk with its private part', boundToken, await proof(boundToken, {}, { jwk: DPOP_KEY }), 'invalid_dpop_proof');
  dpop('dpop: no jwk', boundToken, await proof(boundToken, {}, { jwk: undefined }), 'invalid_dpop_proof');
  const proofInput = `${encode({ typ: 'dpop+jwt', alg: 'none', jwk: publicOf(DPOP_KEY) })}.${encode(proofClaims(boundToken))}`;
  dpop('dpop: alg none', boundToken, `${proofInput}.`, 'invalid_dpop_proof');
  const hsProof = `${encode({ typ: 'dpop+jwt', alg: 'HS256', jwk: publicOf(DPOP_KEY) })}.${encode(proofClaims(boundToken))}`;
  dpop(
    'dpop: HS256 keyed with the public jwk',
    boundToken,
    `${hsProof}.${createHmac('sha256', JSON.stringify(publicOf(DPOP_KEY)))
      .update(hsProof)
      .digest('base64url')}`,
    'invalid_dpop_proof',
  );
  dpop(
    'dpop: ES256 key under alg EdDSA',
    boundToken,
    `${encode({ typ: 'dpop+jwt', alg: 'EdDSA', jwk: publicOf(DPOP_KEY) })}.${encode(proofClaims(boundToken))}.AAAA`,
    'invalid_dpop_proof',
  );
  dpop(
    'dpop: two proofs joined',
    boundToken,
    `${await proof(boundToken)}, ${await proof(boundToken, { jti: 'proof-2' })}`,
    'invalid_dpop_proof',
  );
  return vectors;
}
