/** Tokens and proofs signed by a clock a little ahead of ours are tolerated, no more (API.md: 5 s); the core's value. */
export { CLOCK_TOLERANCE_SECONDS as CLOCK_TOLERANCE_S } from '@device-auth/verifier/core';
