/** Who made a request, from its verified access token. */
export interface DevicePrincipal {
  readonly userId: string;
  readonly deviceId: string;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** The DPoP key thumbprint the token is bound to; null for a bearer token. */
  readonly jkt: string | null;
  /** The `kid` of the key the token was signed with; null when it names none. */
  readonly keyId: string | null;
  readonly claims: Readonly<Record<string, unknown>>;
}
