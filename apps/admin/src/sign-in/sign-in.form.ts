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

/** "Two-step verification": the sign-in's mfaToken (a hidden field) and a TOTP or recovery code. */
export class SecondFactorForm {
  @IsString()
  @Length(1, 128, { message: 'is missing: sign in again' })
  mfaToken!: string;

  @IsString()
  @Length(1, 64, { message: 'is required' })
  code!: string;
}
