import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

/** RFC 6749 §5.2 error, as the token endpoints answer; describes what wire-error.ts builds. */
@ApiSchema({
  name: 'OAuthError',
  description: 'RFC 6749 §5.2 error response of the token endpoints (`/auth/refresh`, `/auth/revoke`).',
})
export class OAuthErrorSchema {
  @ApiProperty({
    description:
      'RFC 6749 §5.2 code; `invalid_dpop_proof` and `use_dpop_nonce` are RFC 9449 §5 and §8; `slow_down` (429) and `temporarily_unavailable` (503) when the service refuses for load.',
    enum: [
      'invalid_request',
      'invalid_grant',
      'unsupported_grant_type',
      'invalid_dpop_proof',
      'use_dpop_nonce',
      'slow_down',
      'temporarily_unavailable',
    ],
  })
  error!: string;

  @ApiProperty({ example: 'The refresh token was already used; the device session has been revoked.' })
  error_description!: string;

  @ApiPropertyOptional({
    description:
      '`invalid_grant` only: why the session ended, for the client to tell its user. `revoked`: logout, device revoked or operator; `password_changed`; `reused`: theft detected on this device; `expired`: idle lifetime; `session_expired`: absolute lifetime; `invalid`: unknown or malformed token.',
    enum: ['revoked', 'password_changed', 'reused', 'expired', 'session_expired', 'invalid'],
  })
  reason?: string;
}
