import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'TotpEnrolment', description: 'A new TOTP secret, inactive until confirmed with a first code.' })
export class TotpEnrolmentSchema {
  @ApiProperty({ description: 'The shared secret, base32 (RFC 4648), for typing into the authenticator app; shown this once.' })
  secret!: string;

  @ApiProperty({
    description: 'The same secret as an `otpauth://totp/…` URL (SHA-1, 6 digits, 30 s), for a QR code.',
    example: 'otpauth://totp/device-auth:user%40example.com?secret=…&issuer=device-auth&algorithm=SHA1&digits=6&period=30',
  })
  otpauthUrl!: string;
}

@ApiSchema({ name: 'RecoveryCodes', description: 'The recovery codes, shown this once; each works once instead of a TOTP code.' })
export class RecoveryCodesSchema {
  @ApiProperty({ type: [String], minItems: 10, maxItems: 10, example: ['abcd-efgh-ijkl-mnop'] })
  recoveryCodes!: string[];
}
