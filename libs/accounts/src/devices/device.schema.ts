import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { DeviceResponse } from './device-response.js';

/** A device's OpenAPI schema; `implements` keeps it in step with the mapper's type. */
@ApiSchema({ name: 'Device' })
export class DeviceSchema implements DeviceResponse {
  @ApiProperty({ format: 'uuid', description: 'Server-generated; the only identity of a device.' })
  readonly id!: string;

  @ApiProperty({ description: 'A display label; need not be unique.' })
  readonly name!: string;

  @ApiProperty({ enum: ['ios', 'android', 'web', 'other'] })
  readonly platform!: string;

  @ApiProperty({ type: 'string', nullable: true, description: 'The User-Agent of the sign-in.' })
  readonly userAgent!: string | null;

  @ApiProperty({ type: 'string', nullable: true, description: 'The client address of the latest activity.' })
  readonly ip!: string | null;

  @ApiProperty({ format: 'date-time' })
  readonly createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  readonly lastSeenAt!: string;

  @ApiProperty({ description: 'True for the device whose token made the request.' })
  readonly current!: boolean;

  @ApiProperty({ description: 'Bound to a DPoP key (RFC 9449): its tokens are useless without the key.' })
  readonly keyBound!: boolean;
}
