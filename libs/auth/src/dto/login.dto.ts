import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsNotEmptyObject, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import type { DevicePlatform } from '@app/persistence';
import { DEVICE_NAME_PROPERTY, IsDeviceName } from './device-name.decorator.js';
import { ACCOUNT_EMAIL_PROPERTY, IsAccountEmail } from './account-email.decorator.js';

export const PLATFORMS: readonly DevicePlatform[] = ['ios', 'android', 'web', 'other'];

@ApiSchema({ name: 'LoginDevice' })
export class LoginDeviceDto {
  @ApiProperty(DEVICE_NAME_PROPERTY)
  @IsDeviceName()
  name!: string;

  @ApiPropertyOptional({ enum: [...PLATFORMS], default: 'other' })
  @IsOptional()
  @IsIn(PLATFORMS, { message: `must be one of ${PLATFORMS.join(', ')}` })
  platform?: DevicePlatform;
}

@ApiSchema({ name: 'LoginRequest' })
export class LoginDto {
  @ApiProperty(ACCOUNT_EMAIL_PROPERTY)
  @IsAccountEmail()
  email!: string;

  // Not held to the registration rules: a short password is just a wrong one (401).
  @ApiProperty({ minLength: 1, maxLength: 128, format: 'password' })
  @IsString()
  @Length(1, 128, { message: 'must be 1 to 128 characters' })
  password!: string;

  @ApiProperty({ type: () => LoginDeviceDto, description: 'The device this sign-in creates.' })
  @IsDefined()
  @IsNotEmptyObject({ nullable: false }, { message: 'must be an object with a name' })
  @ValidateNested()
  @Type(() => LoginDeviceDto)
  device!: LoginDeviceDto;
}
