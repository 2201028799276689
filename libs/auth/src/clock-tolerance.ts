/** Tokens and proofs signed by a clock a little ahead of ours are tolerated, no more (API.md: 5 s). */
export const CLOCK_TOLERANCE_S = 5;
