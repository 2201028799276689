import { ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { IsObject, IsOptional, IsString, Length, ValidateBy, ValidateIf } from 'class-validator';

/** Either the password (and code) or a passkey assertion: one, not both. */
const withPasskey = (body: ReauthenticateDto) => body.challengeId !== undefined || body.response !== undefined;

const NotWithPassword = () =>
  ValidateBy({
    name: 'notWithPassword',
    validator: {
      validate: (_value, args) => (args?.object as ReauthenticateDto).password === undefined,
      defaultMessage: () => 'send either the password or a passkey assertion, not both',
    },
  });

@ApiSchema({
  name: 'ReauthenticateRequest',
  description:
    'The password (and `code` when the account has TOTP on), or a passkey assertion (`challengeId` and `response`): one of the two.',
})
export class ReauthenticateDto {
  @ApiPropertyOptional({
    minLength: 1,
    maxLength: 128,
    format: 'password',
    description: 'The password (unless a passkey assertion is sent).',
  })
  @ValidateIf((body: ReauthenticateDto) => !withPasskey(body))
  @IsString()
  @Length(1, 128, { message: 'must be 1 to 128 characters' })
  password?: string;

  @ApiPropertyOptional({
    description: 'With the password, when the account has TOTP on: the 6-digit code of the authenticator app, or a recovery code.',
    minLength: 1,
    maxLength: 32,
  })
  @IsOptional()
  @IsString()
  @Length(1, 32, { message: 'must be 1 to 32 characters' })
  code?: string;

  @ApiPropertyOptional({ description: 'With a passkey: the `challengeId` of `POST /auth/passkey/options`.' })
  @ValidateIf(withPasskey)
  @IsString()
  @Length(1, 64)
  @NotWithPassword()
  challengeId?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: "With a passkey: the authenticator's assertion, as `AuthenticationResponseJSON` (WebAuthn Level 3 `toJSON()`).",
  })
  @ValidateIf(withPasskey)
  @IsObject()
  response?: AuthenticationResponseJSON;
}
