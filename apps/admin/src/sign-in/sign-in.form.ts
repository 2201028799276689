import { IsString, Length } from 'class-validator';
import { IsAccountEmail } from '@app/auth';

/** The sign-in form: the same email rules as the API's (NFC, case-folded, no invisible characters). */
export class SignInForm {
  @IsAccountEmail()
  email!: string;

  @IsString()
  @Length(1, 128, { message: 'is required' })
  password!: string;
}
