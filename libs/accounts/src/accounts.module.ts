import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { MailModule } from '@app/mail';
import { AccountService } from './account/account.service.js';
import { PasswordResetService } from './recovery/password-reset.service.js';
import { EmailVerificationService } from './verification/email-verification.service.js';
import { AccountActivityService } from './activity/account-activity.service.js';
import { TotpService } from './totp/totp.service.js';
import { DevicesService } from './devices/devices.service.js';
import { AccountSearchService } from './operators/account-search.service.js';
import { OperatorOverviewService } from './operators/operator-overview.service.js';

/** Devices, the account itself (verification, recovery, email change, deletion), security activity and the operator's account lookup, as services deciding who may. */
@Module({
  imports: [AuthModule, MailModule],
  providers: [
    DevicesService,
    AccountActivityService,
    AccountSearchService,
    OperatorOverviewService,
    AccountService,
    PasswordResetService,
    EmailVerificationService,
    TotpService,
  ],
  exports: [
    DevicesService,
    AccountActivityService,
    AccountSearchService,
    OperatorOverviewService,
    AccountService,
    PasswordResetService,
    EmailVerificationService,
    TotpService,
  ],
})
export class AccountsModule {}
