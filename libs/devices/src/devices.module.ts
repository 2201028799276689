import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { AccountsService } from './accounts.service.js';
import { DevicesService } from './devices.service.js';
import { OperatorOverviewService } from './operator-overview.service.js';
import { SecurityEventsService } from './security-events.service.js';

/** Device listing, renaming and revocation requests, security activity and account lookup, as services deciding who may. */
@Module({
  imports: [AuthModule],
  providers: [DevicesService, SecurityEventsService, AccountsService, OperatorOverviewService],
  exports: [DevicesService, SecurityEventsService, AccountsService, OperatorOverviewService],
})
export class DevicesModule {}
