/** What a verified access token says, attached to the request by the guard. */
export interface AccessPrincipal {
  readonly userId: string;
  readonly deviceId: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}
