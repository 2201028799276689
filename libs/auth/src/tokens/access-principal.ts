/** What a verified access token says, attached to the request by the guard. */
export interface AccessPrincipal {
  readonly userId: string;
  readonly deviceId: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** `cnf.jkt`: the DPoP key the token is bound to (RFC 9449 §6); null for a bearer token. */
  readonly jkt: string | null;
  /** `auth_time` in epoch milliseconds: when the user last actively authenticated on the device (0: the token does not say). */
  readonly authTime: number;
}
