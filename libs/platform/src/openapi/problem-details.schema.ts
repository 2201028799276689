import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

// The wire shapes of errors, for the OpenAPI document only: wire-error.ts builds the bodies,
// these classes describe them. Not used at run time.

@ApiSchema({ name: 'FieldError' })
class FieldErrorSchema {
  @ApiProperty({ description: 'The refused field, nested ones as `device.name`.', example: 'email' })
  field!: string;

  @ApiProperty({ example: 'must be an email address' })
  message!: string;
}

/** RFC 9457 problem details, as every endpoint but the OAuth ones answers errors. */
@ApiSchema({
  name: 'ProblemDetails',
  description:
    'RFC 9457 problem details (`application/problem+json`), the error shape of every endpoint but `/auth/refresh` and `/auth/revoke`.',
})
export class ProblemDetailsSchema {
  @ApiProperty({
    description: 'A stable URN naming the error (`urn:problem-type:device-auth:<code>`), or `about:blank`.',
    example: 'urn:problem-type:device-auth:validation-failed',
  })
  type!: string;

  @ApiProperty({ description: "The status code's reason phrase.", example: 'Bad Request' })
  title!: string;

  @ApiProperty({ type: 'integer', example: 400 })
  status!: number;

  @ApiProperty({ example: 'The request is not valid.' })
  detail!: string;

  @ApiPropertyOptional({ description: 'Validation failures only: one entry per refused field.', type: [FieldErrorSchema] })
  errors?: FieldErrorSchema[];

  @ApiPropertyOptional({
    description:
      'A machine-readable error code where one is named: DPoP refusals at `POST /auth/login` (RFC 9449 §5, §8) keep their OAuth error code, so OAuth client libraries recognise them; `mfa_required` when a sign-in needs its second factor (with `mfaToken`); `invalid_mfa_token` and `invalid_code` at `POST /auth/login/mfa`; `insufficient_user_authentication` for step-up.',
    enum: [
      'invalid_dpop_proof',
      'use_dpop_nonce',
      'mfa_required',
      'invalid_mfa_token',
      'invalid_code',
      'insufficient_user_authentication',
      'invalid_token',
      'email_not_verified',
    ],
  })
  error?: string;

  @ApiPropertyOptional({
    description:
      'With `"error":"mfa_required"` only: the single-use token that finishes the sign-in at `POST /auth/login/mfa` (valid 5 minutes).',
  })
  mfaToken?: string;
}
