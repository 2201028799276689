import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { CurrentActor, type Actor } from '@app/auth';
import { uuidParam } from '@app/platform';
import { DeviceNotFound } from './device-not-found.error.js';
import { toDeviceResponse, type DeviceResponse } from './device-response.js';
import { DevicesService } from './devices.service.js';
import { RenameDeviceDto } from './rename-device.dto.js';

/** A malformed id is just an unknown device: the same 404. */
const DeviceId = () => uuidParam(() => new DeviceNotFound());

@Controller('devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Get()
  async list(@CurrentActor() actor: Actor): Promise<{ devices: DeviceResponse[] }> {
    const devices = await this.devices.list(actor);
    return { devices: devices.map((device) => toDeviceResponse(device, actor.deviceId)) };
  }

  @Patch(':id')
  async rename(@Param('id', DeviceId()) id: string, @Body() body: RenameDeviceDto, @CurrentActor() actor: Actor): Promise<DeviceResponse> {
    return toDeviceResponse(await this.devices.rename(actor, id, body.name), actor.deviceId);
  }

  @Delete(':id')
  @HttpCode(204)
  revoke(@Param('id', DeviceId()) id: string, @CurrentActor() actor: Actor): Promise<void> {
    return this.devices.revoke(actor, id);
  }

  @Post('revoke-others')
  @HttpCode(200)
  async revokeOthers(@CurrentActor() actor: Actor): Promise<{ revoked: number }> {
    return { revoked: await this.devices.revokeOthers(actor) };
  }
}
