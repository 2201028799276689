import { IsString, Length, MaxLength } from 'class-validator';
import { IsAccountEmail } from '@app/auth';

/** "Forgot password?": the same email rules as the API's. */
export class ForgotPasswordForm {
  @IsAccountEmail()
  email!: string;
}

/** The reset page: the mailed token (hidden field) and the new password, twice. */
export class ResetPasswordForm {
  @IsString()
  @MaxLength(512)
  token!: string;

  @IsString()
  @Length(8, 128, { message: 'must be 8 to 128 characters' })
  password!: string;

  @IsString()
  @MaxLength(128)
  confirmation!: string;
}
