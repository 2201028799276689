import { generateKeyPair, generateProof } from 'dpop';
import { DpopProofVerifier } from '@app/auth';
import type { BenchSettings } from '../support/context.js';
import { round } from '../support/stats.js';

export interface ProofVerification {
  readonly microseconds: number;
  readonly proofs: number;
}

/**
 * Figure 3b's "one proof verification": the CPU cost of one DPoP proof verification (jose's
 * ES256 verify, thumbprint, the RFC 9449 checks and the replay cache), in-process, on proofs
 * made beforehand by the client library, so that the DPoP ÷ bearer ratio can be read against
 * what the proof itself costs. The throughput section (01-throughput.ts) runs it.
 */
export async function measureProofVerification(settings: BenchSettings): Promise<ProofVerification> {
  const keys = await generateKeyPair('ES256');
  const url = 'https://bench.example/me';
  const proofs = await Promise.all(
    Array.from({ length: settings.proofVerifications }, () => generateProof(keys, url, 'GET', undefined, 'token')),
  );
  const verifier = new DpopProofVerifier({ maxAgeSeconds: 600, clockToleranceSeconds: 5, now: () => Date.now() });
  for (const proof of proofs.slice(0, 100)) await verifier.verify(proof, { method: 'GET', url, accessToken: 'token' }); // warm-up
  const started = process.hrtime.bigint();
  for (const proof of proofs.slice(100)) await verifier.verify(proof, { method: 'GET', url, accessToken: 'token' });
  const microseconds = Number(process.hrtime.bigint() - started) / 1000 / (proofs.length - 100);
  return { microseconds: round(microseconds, 1), proofs: proofs.length - 100 };
}
