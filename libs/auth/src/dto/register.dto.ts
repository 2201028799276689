import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { ACCOUNT_EMAIL_PROPERTY, IsAccountEmail } from './account-email.decorator.js';

@ApiSchema({ name: 'RegisterRequest' })
export class RegisterDto {
  @ApiProperty(ACCOUNT_EMAIL_PROPERTY)
  @IsAccountEmail()
  email!: string;

  @ApiProperty({ minLength: 8, maxLength: 128, format: 'password' })
  @IsString()
  @Length(8, 128, { message: 'must be 8 to 128 characters' })
  password!: string;
}
