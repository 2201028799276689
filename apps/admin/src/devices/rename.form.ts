import { IsDeviceName } from '@app/auth';

export class RenameForm {
  @IsDeviceName()
  name!: string;
}
