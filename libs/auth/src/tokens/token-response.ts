/** RFC 6749 §5.1 token response, as API.md specifies it. */
export interface TokenResponse {
  readonly access_token: string;
  /** `DPoP` for a device bound to a key (RFC 9449 §5). */
  readonly token_type: 'Bearer' | 'DPoP';
  readonly expires_in: number;
  readonly refresh_token: string;
  readonly refresh_token_expires_in: number;
  readonly device_id: string;
}
