import { IsObject, IsOptional, IsString, Length } from 'class-validator';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { IsDeviceName } from '@app/auth';

/** The passkey script's new passkey: the authenticator's answer to the creation options, and a label. */
export class AddPasskeyForm {
  @IsObject()
  response!: RegistrationResponseJSON;

  @IsOptional()
  @IsDeviceName()
  name?: string;
}

/** The passkey script's assertion, for the challenge it was given (`challengeId`). */
export class PasskeyAssertionForm {
  @IsString()
  @Length(1, 64)
  challengeId!: string;

  @IsObject()
  response!: AuthenticationResponseJSON;
}

/** "Two-step verification" being turned on: the first code from the app. */
export class TotpCodeForm {
  @IsString()
  @Length(1, 16, { message: 'is required' })
  code!: string;
}
