import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { ACCOUNT_EMAIL_PROPERTY, IsAccountEmail } from '@app/auth';
import { LinkTokenDto } from '../link-token.dto.js';

@ApiSchema({ name: 'ForgotPasswordRequest' })
export class ForgotPasswordDto {
  @ApiProperty(ACCOUNT_EMAIL_PROPERTY)
  @IsAccountEmail()
  email!: string;
}

@ApiSchema({ name: 'ResetPasswordRequest' })
export class ResetPasswordDto extends LinkTokenDto {
  @ApiProperty({ minLength: 8, maxLength: 128, format: 'password' })
  @IsString()
  @Length(8, 128, { message: 'must be 8 to 128 characters' })
  newPassword!: string;
}
