import { Module } from '@nestjs/common';
import { DevicesController } from './devices/devices.controller.js';
import { AccountsModule } from './accounts.module.js';

/** The JSON API's /devices routes. */
@Module({
  imports: [AccountsModule],
  controllers: [DevicesController],
})
export class DevicesApiModule {}
