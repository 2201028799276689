import { IsString, Length } from 'class-validator';
import { IsAccountEmail } from './account-email.decorator.js';

export class RegisterDto {
  @IsAccountEmail()
  email!: string;

  @IsString()
  @Length(8, 128, { message: 'must be 8 to 128 characters' })
  password!: string;
}
