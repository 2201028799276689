import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { PasskeySignInOptions, PasskeyView } from './passkey.service.js';

@ApiSchema({ name: 'Passkey' })
export class PasskeySchema implements PasskeyView {
  @ApiProperty({ format: 'uuid' })
  readonly id!: string;
  @ApiProperty()
  readonly name!: string;
  @ApiProperty({ format: 'date-time' })
  readonly createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: 'string', description: 'The last sign-in with it; null before the first.' })
  readonly lastUsedAt!: string | null;
}

@ApiSchema({ name: 'PasskeyList' })
export class PasskeyListSchema {
  @ApiProperty({ type: () => [PasskeySchema] })
  readonly passkeys!: PasskeySchema[];
}

@ApiSchema({
  name: 'PasskeyCreationOptions',
  description:
    "WebAuthn `PublicKeyCredentialCreationOptionsJSON` for `PublicKeyCredential.parseCreationOptionsFromJSON()`: the account's passkeys excluded, a discoverable credential and user verification required.",
})
export class PasskeyCreationOptionsSchema {
  @ApiProperty({ description: 'base64url; good for 5 minutes, once.' })
  readonly challenge!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '`id` and `name` of the relying party.' })
  readonly rp!: object;
  @ApiProperty({ type: 'object', additionalProperties: true, description: '`id` (base64url), `name`, `displayName`.' })
  readonly user!: object;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } })
  readonly pubKeyCredParams!: object[];
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'The passkeys the account has.' })
  readonly excludeCredentials!: object[];
  @ApiProperty({ type: 'object', additionalProperties: true })
  readonly authenticatorSelection!: object;
}

@ApiSchema({ name: 'PasskeySignInOptions' })
export class PasskeySignInOptionsSchema implements PasskeySignInOptions {
  @ApiProperty({ format: 'uuid', description: 'Sent back with the assertion; single-use, good for 5 minutes.' })
  readonly challengeId!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'WebAuthn `PublicKeyCredentialRequestOptionsJSON` (no `allowCredentials`: any discoverable passkey; user verification required).',
  })
  readonly options!: PasskeySignInOptions['options'];
}
