import { IsDeviceName } from '@app/auth';

export class RenameDeviceDto {
  @IsDeviceName()
  name!: string;
}
