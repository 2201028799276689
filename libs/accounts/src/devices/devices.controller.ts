import { applyDecorators, Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiAccessToken, RequiresStepUp } from '@app/auth';
import { ApiProblemResponse, ApiValidationResponse, uuidParam, CurrentActor, type Actor } from '@app/platform';
import { DeviceNotFound } from '../device-not-found.error.js';
import { toDeviceResponse, type DeviceResponse } from './device-response.js';
import { DevicesService } from './devices.service.js';
import { DeviceListSchema } from './device-list.schema.js';
import { DeviceSchema } from './device.schema.js';
import { RevokedCountSchema } from './revoked-count.schema.js';
import { RenameDeviceDto } from './rename-device.dto.js';

/** A malformed id is just an unknown device: the same 404. */
const DeviceId = () => uuidParam(() => new DeviceNotFound());

/** The `:id` of a device route, and the 404 that answers another user's, an unknown or a malformed id alike. */
const ApiDeviceId = () =>
  applyDecorators(
    ApiParam({ name: 'id', description: 'A device id from `GET /devices`.', schema: { type: 'string', format: 'uuid' } }),
    ApiProblemResponse(404, "No such device among the caller's own (another user's, unknown or malformed id alike)."),
  );

@ApiTags('devices')
@ApiAccessToken()
@ApiProblemResponse(503, 'The database is unreachable.')
@Controller('devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Get()
  @ApiOperation({ operationId: 'listDevices', summary: "The user's active devices" })
  @ApiOkResponse({ type: DeviceListSchema, description: 'Newest activity first; `current` marks the calling device.' })
  async list(@CurrentActor() actor: Actor): Promise<{ devices: DeviceResponse[] }> {
    const devices = await this.devices.list(actor);
    return { devices: devices.map((device) => toDeviceResponse(device, actor.deviceId)) };
  }

  @Patch(':id')
  @ApiOperation({ operationId: 'renameDevice', summary: 'Rename a device' })
  @ApiDeviceId()
  @ApiOkResponse({ type: DeviceSchema })
  @ApiValidationResponse()
  async rename(@Param('id', DeviceId()) id: string, @Body() body: RenameDeviceDto, @CurrentActor() actor: Actor): Promise<DeviceResponse> {
    return toDeviceResponse(await this.devices.rename(actor, id, body.name), actor.deviceId);
  }

  @Delete(':id')
  @RequiresStepUp({ exceptOwnDevice: 'id' })
  @HttpCode(204)
  @ApiOperation({
    operationId: 'revokeDevice',
    summary: 'Revoke a device',
    description: "The caller's own device too (the same as logout).",
  })
  @ApiDeviceId()
  @ApiNoContentResponse({ description: 'The device is revoked.' })
  revoke(@Param('id', DeviceId()) id: string, @CurrentActor() actor: Actor): Promise<void> {
    return this.devices.revoke(actor, id);
  }

  @Post('revoke-others')
  @RequiresStepUp()
  @HttpCode(200)
  @ApiOperation({ operationId: 'revokeOtherDevices', summary: 'Revoke every other device of the user' })
  @ApiOkResponse({ type: RevokedCountSchema })
  async revokeOthers(@CurrentActor() actor: Actor): Promise<{ revoked: number }> {
    return { revoked: await this.devices.revokeOthers(actor) };
  }
}
