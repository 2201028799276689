import { IsOptional, IsString, Length } from 'class-validator';
import { ChangePasswordDto, IsAccountEmail } from '@app/auth';

/** "Change email": the API's rules for an address. */
export class ChangeEmailForm {
  @IsAccountEmail()
  newEmail!: string;
}

/** "Confirm it's you": the password again, and the authenticator app's code when two-step verification is on. */
export class ConfirmIdentityForm {
  @IsString()
  @Length(1, 128, { message: 'is required' })
  password!: string;

  @IsOptional()
  @IsString()
  @Length(0, 64)
  code?: string;
}

/**
 * "Change password": the fields and rules of the API's `POST /auth/password` (the same DTO), and
 * the new password again, which must be the same (so it needs no rules of its own).
 */
export class ChangePasswordForm extends ChangePasswordDto {
  @IsString({ message: 'is required' })
  confirmation!: string;
}
