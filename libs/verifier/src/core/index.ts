// @device-auth/verifier/core: the token and DPoP rules, framework-free, written once. The API
// server and the package's DeviceAuthVerifier both judge by these.
export { CLOCK_TOLERANCE_SECONDS, DPOP_PROOF_MAX_AGE_SECONDS, systemNow, type Now } from './clock.js';
export { VerificationError, type VerificationErrorCode } from './errors.js';
export { ExpiringCache } from './expiring-cache.js';
export { normaliseHtu } from './htu.js';
export { checkBinding, MAX_ACCESS_TOKEN_LENGTH, parseAuthorization, type AuthorizationCredentials } from './authorization-header.js';
export { DPOP_SIGNING_ALGORITHMS } from './dpop-algorithms.js';
export {
  ACCESS_TOKEN_TYPE,
  AccessTokenChecker,
  VERIFIED_TOKEN_CACHE_SIZE,
  type AccessTokenClaims,
  type AccessTokenKey,
  type AccessTokenRules,
} from './access-token.js';
export {
  accessTokenHash,
  dpopReplayWindowSeconds,
  DpopProofChecker,
  MAX_DPOP_JTI_LENGTH,
  MAX_DPOP_PROOF_LENGTH,
  type CheckedDpopProof,
  type DpopProofClaims,
  type DpopProofExpectation,
  type DpopProofRules,
} from './dpop-proof.js';
