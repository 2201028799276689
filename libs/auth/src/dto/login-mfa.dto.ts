import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

@ApiSchema({ name: 'LoginMfaRequest' })
export class LoginMfaDto {
  @ApiProperty({ description: 'The `mfaToken` of the `mfa_required` answer of `POST /auth/login`.', minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128, { message: 'must be 1 to 128 characters' })
  mfaToken!: string;

  @ApiProperty({
    description: 'The 6-digit code of the authenticator app, or one of the recovery codes (`xxxx-xxxx-xxxx-xxxx`).',
    minLength: 1,
    maxLength: 32,
    example: '123456',
  })
  @IsString()
  @Length(1, 32, { message: 'must be 1 to 32 characters' })
  code!: string;
}
