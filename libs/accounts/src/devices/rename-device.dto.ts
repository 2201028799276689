import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { DEVICE_NAME_PROPERTY, IsDeviceName } from '@app/auth';

@ApiSchema({ name: 'RenameDeviceRequest' })
export class RenameDeviceDto {
  @ApiProperty(DEVICE_NAME_PROPERTY)
  @IsDeviceName()
  name!: string;
}
