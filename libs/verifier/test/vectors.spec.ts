import {
  ACCESS_TOKEN_TTL_S,
  AUDIENCE,
  DPOP_MAX_AGE_S,
  ISSUER,
  TOKEN_PUBLIC_KEY,
  VECTOR_NOW_MS,
  verificationVectors,
  type Verdict,
  type VerificationVector,
} from '../../../test/vectors/verification-vectors.js';
import { AccessDenied, createVerifier } from '../src/index.js';

const JWKS_URL = 'https://auth.vectors.test/.well-known/jwks.json';

/** The package's verdict on one vector, by a fresh DeviceAuthVerifier on the vectors' clock. */
async function verdictOf(vector: VerificationVector): Promise<Verdict> {
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: JWKS_URL,
    fetch: (async () => new Response(JSON.stringify({ keys: [{ ...TOKEN_PUBLIC_KEY, kid: 'vector-key-1' }] }))) as typeof fetch,
    dpopMaxAgeSeconds: DPOP_MAX_AGE_S,
    maxTokenAgeSeconds: ACCESS_TOKEN_TTL_S + 5,
    now: () => VECTOR_NOW_MS,
  });
  try {
    await verifier.verifyRequest({ authorization: vector.authorization, dpop: vector.dpop, method: vector.method, url: vector.url });
    return 'accept';
  } catch (error) {
    if (!(error instanceof AccessDenied)) throw error;
    if (error.reason === 'invalid_token' && /expired/.test(error.message)) return 'expired';
    return error.reason as Verdict;
  } finally {
    await verifier.close();
  }
}

describe('the verification vectors (test/vectors), judged by the package', () => {
  let vectors: VerificationVector[];
  beforeAll(async () => {
    vectors = await verificationVectors();
  });

  it('has a table of 40 to 80 vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(40);
    expect(vectors.length).toBeLessThanOrEqual(80);
  });

  it('gives every vector its verdict', async () => {
    const verdicts: Record<string, Verdict> = {};
    for (const vector of vectors) verdicts[vector.name] = await verdictOf(vector);
    expect(verdicts).toEqual(Object.fromEntries(vectors.map((vector) => [vector.name, vector.expect])));
  });
});
