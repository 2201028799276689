import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { DevicesController } from './devices.controller.js';
import { DevicesService } from './devices.service.js';
import { SecurityEventsService } from './security-events.service.js';

@Module({
  imports: [AuthModule],
  controllers: [DevicesController],
  providers: [DevicesService, SecurityEventsService],
  exports: [DevicesService, SecurityEventsService],
})
export class DevicesModule {}
