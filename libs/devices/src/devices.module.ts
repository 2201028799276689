import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { DevicesService } from './devices.service.js';
import { SecurityEventsService } from './security-events.service.js';

/** Device listing, renaming and revocation requests, and security events, as services. */
@Module({
  imports: [AuthModule],
  providers: [DevicesService, SecurityEventsService],
  exports: [DevicesService, SecurityEventsService],
})
export class DevicesModule {}
