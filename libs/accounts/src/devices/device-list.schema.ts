import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { DeviceSchema } from './device.schema.js';

@ApiSchema({ name: 'DeviceList' })
export class DeviceListSchema {
  @ApiProperty({ type: [DeviceSchema], description: 'Active devices, newest activity first.' })
  readonly devices!: DeviceSchema[];
}
