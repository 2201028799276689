import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { AccountController } from './account/account.controller.js';
import { AccountsModule } from './accounts.module.js';
import { DevicesController } from './devices/devices.controller.js';
import { TotpController } from './totp/totp.controller.js';
import { PasswordResetController } from './recovery/password-reset.controller.js';
import { EmailVerificationController } from './verification/email-verification.controller.js';

/** The JSON API's /devices and /account routes, and the mailed-link flows under /auth. */
@Module({
  // AuthModule for the routes' @RequiresStepUp guard (StepUpPolicy).
  imports: [AccountsModule, AuthModule],
  controllers: [DevicesController, AccountController, TotpController, PasswordResetController, EmailVerificationController],
})
export class AccountsApiModule {}
