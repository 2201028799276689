import { IsString, Length } from 'class-validator';
import { IsAccountEmail } from '@app/auth';

export class SignInForm {
  @IsAccountEmail()
  email!: string;

  @IsString()
  @Length(1, 128, { message: 'is required' })
  password!: string;
}
