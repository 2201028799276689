import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { AccountActivityService } from './activity/account-activity.service.js';
import { DevicesService } from './devices/devices.service.js';
import { AccountSearchService } from './operators/account-search.service.js';
import { OperatorOverviewService } from './operators/operator-overview.service.js';

/** Devices, security activity and the operator's account lookup, as services deciding who may. */
@Module({
  imports: [AuthModule],
  providers: [DevicesService, AccountActivityService, AccountSearchService, OperatorOverviewService],
  exports: [DevicesService, AccountActivityService, AccountSearchService, OperatorOverviewService],
})
export class AccountsModule {}
