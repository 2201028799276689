import { createPublicKey } from 'node:crypto';
import type { AppConfig, Clock } from '@app/platform';
import {
  ACCESS_TOKEN_TTL_S,
  AUDIENCE,
  DASHBOARD_AUDIENCE,
  DPOP_MAX_AGE_S,
  ISSUER,
  KEY_ID,
  TOKEN_KEY,
  VECTOR_NOW_MS,
  verificationVectors,
  type Verdict,
  type VerificationVector,
} from '../../../../test/vectors/verification-vectors.js';
import { InvalidAccessToken } from '../auth.errors.js';
import { DpopAccessRefused } from '../dpop/dpop.errors.js';
import type { DpopMetrics } from '../dpop/dpop-metrics.js';
import { DpopService } from '../dpop/dpop.service.js';
import type { LastSeenRecorder } from '../revocation/last-seen.recorder.js';
import type { RevocationSet } from '../revocation/revocation-set.js';
import { KeyRing } from '@app/keys';
import { AccessTokenVerifier } from './access-token.verifier.js';

/** The real AccessTokenVerifier and DpopService (no nonces, no PUBLIC_URL) on the vectors' clock and key. */
function serverVerifier(): AccessTokenVerifier {
  const verificationKey = createPublicKey({ key: { ...TOKEN_KEY, d: undefined } as never, format: 'jwk' });
  const config = {
    signingKeys: {
      static: { algorithm: 'ES256', verificationKey, signingKey: verificationKey, id: KEY_ID, publicJwk: null },
      previous: null,
      encryptionSecret: null,
      jwksMaxAge: 300,
      rotation: 86400,
      algorithm: 'ES256',
    },
    jwt: {
      issuer: ISSUER,
      audience: AUDIENCE,
      dashboardAudience: DASHBOARD_AUDIENCE,
    },
    accessTokenTtl: ACCESS_TOKEN_TTL_S,
    dpop: { nonce: false, proofMaxAge: DPOP_MAX_AGE_S, replayCacheSize: 1000 },
    publicUrl: null,
  } as unknown as AppConfig;
  const clock = { now: () => VECTOR_NOW_MS } as Clock;
  const metrics = { rejected: () => undefined, boundTokenWithoutKey: () => undefined } as unknown as DpopMetrics;
  const dpop = new DpopService(config, clock, metrics);
  const revocations = { has: () => false } as unknown as RevocationSet;
  const lastSeen = { note: () => undefined } as unknown as LastSeenRecorder;
  return new AccessTokenVerifier(config, clock, revocations, lastSeen, dpop, metrics, new KeyRing(config));
}

async function verdictOf(vector: VerificationVector): Promise<Verdict> {
  const url = new URL(vector.url);
  try {
    await serverVerifier().verifyAuthorization(vector.authorization, () => ({
      proof: vector.dpop,
      method: vector.method,
      path: url.pathname,
      origin: url.origin,
    }));
    return 'accept';
  } catch (error) {
    if (error instanceof InvalidAccessToken) return error.expired ? 'expired' : 'invalid_token';
    if (error instanceof DpopAccessRefused) {
      const code = /error="([a-z_]+)"/.exec(error.headers!['WWW-Authenticate'] ?? '')![1] as Verdict;
      return code === 'invalid_token' && /expired/.test(error.detail) ? 'expired' : code;
    }
    throw error;
  }
}

describe('the verification vectors (test/vectors), judged by the server', () => {
  it('gives every vector the same verdict as the package does', async () => {
    const vectors = await verificationVectors();
    const verdicts: Record<string, Verdict> = {};
    for (const vector of vectors) verdicts[vector.name] = await verdictOf(vector);
    expect(verdicts).toEqual(Object.fromEntries(vectors.map((vector) => [vector.name, vector.expect])));
  });
});
