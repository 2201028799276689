/**
 * The algorithms a DPoP proof may be signed with (RFC 9449 §4.3 step 5), as challenges and the
 * RFC 8414 metadata name them: ES256, and Ed25519 under its old name EdDSA and its new one
 * (RFC 9864 §2.2, what WebCrypto clients send).
 */
export const DPOP_SIGNING_ALGORITHMS = ['ES256', 'EdDSA', 'Ed25519'] as const;
