import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsNotEmptyObject, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import type { DevicePlatform } from '@app/persistence';
import { IsDeviceName } from './device-name.decorator.js';
import { IsAccountEmail } from './account-email.decorator.js';

export const PLATFORMS: readonly DevicePlatform[] = ['ios', 'android', 'web', 'other'];

export class LoginDeviceDto {
  @IsDeviceName()
  name!: string;

  @IsOptional()
  @IsIn(PLATFORMS, { message: `must be one of ${PLATFORMS.join(', ')}` })
  platform?: DevicePlatform;
}

export class LoginDto {
  @IsAccountEmail()
  email!: string;

  // Not held to the registration rules: a short password is just a wrong one (401).
  @IsString()
  @Length(1, 128, { message: 'must be 1 to 128 characters' })
  password!: string;

  @IsDefined()
  @IsNotEmptyObject({ nullable: false }, { message: 'must be an object with a name' })
  @ValidateNested()
  @Type(() => LoginDeviceDto)
  device!: LoginDeviceDto;
}
