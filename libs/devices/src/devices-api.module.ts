import { Module } from '@nestjs/common';
import { DevicesController } from './devices.controller.js';
import { DevicesModule } from './devices.module.js';

/** The JSON API's /devices routes. */
@Module({
  imports: [DevicesModule],
  controllers: [DevicesController],
})
export class DevicesApiModule {}
