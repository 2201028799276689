import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';

@ApiSchema({ name: 'ReauthenticateRequest' })
export class ReauthenticateDto {
  @ApiProperty({ minLength: 1, maxLength: 128, format: 'password' })
  @IsString()
  @Length(1, 128, { message: 'must be 1 to 128 characters' })
  password!: string;

  @ApiPropertyOptional({
    description: 'Required when the account has TOTP on: the 6-digit code of the authenticator app, or a recovery code.',
    minLength: 1,
    maxLength: 32,
  })
  @IsOptional()
  @IsString()
  @Length(1, 32, { message: 'must be 1 to 32 characters' })
  code?: string;
}
