/** The clock the rules judge time by: epoch milliseconds. Injectable, so tests and vectors can fix it. */
export type Now = () => number;

export const systemNow: Now = () => Date.now();

/** Tokens and proofs signed by a clock a little ahead of ours are tolerated, no more (API.md: 5 s). */
export const CLOCK_TOLERANCE_SECONDS = 5;

/** How old (by `iat`) a DPoP proof may be by default, seconds (API.md: DPOP_PROOF_MAX_AGE, 60). */
export const DPOP_PROOF_MAX_AGE_SECONDS = 60;
