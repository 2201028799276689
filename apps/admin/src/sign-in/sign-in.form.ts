import { Transform } from 'class-transformer';
import { IsString, Length } from 'class-validator';
import { normalizeAccountEmail } from '@app/platform';

export class SignInForm {
  // The API's canonical form (NFC, case-folded). Anything else that is not an account's email
  // simply fails to sign in, as a wrong password does.
  @Transform(({ value }) => (typeof value === 'string' ? (normalizeAccountEmail(value) ?? value) : value))
  @IsString()
  @Length(3, 254, { message: 'is required' })
  email!: string;

  @IsString()
  @Length(1, 128, { message: 'is required' })
  password!: string;
}
