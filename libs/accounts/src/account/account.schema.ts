import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'Account' })
export class AccountSchema {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'email' })
  email!: string;
  @ApiProperty()
  emailVerified!: boolean;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ description: 'Passkeys registered.' })
  passkeys!: number;
  @ApiProperty({ description: 'Whether a second factor (TOTP) is on.' })
  totp!: boolean;
}
