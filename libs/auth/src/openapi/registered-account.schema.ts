import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'RegisteredAccount' })
export class RegisteredAccountSchema {
  @ApiProperty({ format: 'uuid' })
  readonly id!: string;

  @ApiProperty({ format: 'email', description: 'The email as stored: trimmed, NFC-normalised, lower-cased.' })
  readonly email!: string;
}
