import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { CurrentDevice, CurrentUser, Origin, type RequestOrigin } from '@app/auth';
import { DeviceNotFound } from './device-not-found.error.js';
import { toDeviceResponse, type DeviceResponse } from './device-response.js';
import { DevicesService } from './devices.service.js';
import { RenameDeviceDto } from './rename-device.dto.js';

/** A malformed id is just an unknown device: the same 404. */
const DeviceId = () => new ParseUUIDPipe({ exceptionFactory: () => new DeviceNotFound() });

@Controller('devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Get()
  async list(@CurrentUser() userId: string, @CurrentDevice() deviceId: string): Promise<{ devices: DeviceResponse[] }> {
    const devices = await this.devices.list(userId);
    return { devices: devices.map((device) => toDeviceResponse(device, deviceId)) };
  }

  @Patch(':id')
  async rename(
    @Param('id', DeviceId()) id: string,
    @Body() body: RenameDeviceDto,
    @CurrentUser() userId: string,
    @CurrentDevice() deviceId: string,
    @Origin() origin: RequestOrigin,
  ): Promise<DeviceResponse> {
    const device = await this.devices.rename(userId, id, body.name, { kind: 'user', userId, deviceId, ...origin });
    return toDeviceResponse(device, deviceId);
  }

  @Delete(':id')
  @HttpCode(204)
  revoke(
    @Param('id', DeviceId()) id: string,
    @CurrentUser() userId: string,
    @CurrentDevice() deviceId: string,
    @Origin() origin: RequestOrigin,
  ): Promise<void> {
    return this.devices.revoke(userId, id, { kind: 'user', userId, deviceId, ...origin });
  }

  @Post('revoke-others')
  @HttpCode(200)
  async revokeOthers(@CurrentUser() userId: string, @CurrentDevice() deviceId: string, @Origin() origin: RequestOrigin): Promise<{ revoked: number }> {
    return { revoked: await this.devices.revokeOthers(userId, deviceId, { kind: 'user', userId, deviceId, ...origin }) };
  }
}
