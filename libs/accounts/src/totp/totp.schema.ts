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
  @ApiProperty({
    type: [String],
    minItems: 10,
    maxItems: 10,
    description: 'Ten codes, `xxxx-xxxx-xxxx-xxxx` (base32, lower case); typed in any case, with or without the dashes.',
    example: [
      'k7qa-2mzx-p4rt-h6nc',
      'b3wd-y5ue-q2lk-t7pj',
      'm6fs-a4vh-r3gn-x2zc',
      'd5ty-j7ka-w2pe-n4qb',
      'h2rc-v6mx-s5fu-k3ld',
      'p7zn-e3qg-b6wa-y4tk',
      'x4jv-l2hd-c7rs-m5ue',
      'g3ke-t6pb-z2yn-a7wq',
      's5ua-f4xm-j3vc-r6hd',
      'w2lt-n7eg-q5kb-d3zy',
    ],
  })
  recoveryCodes!: string[];
}
