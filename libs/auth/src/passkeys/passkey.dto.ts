import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsNotEmptyObject, IsObject, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { DEVICE_NAME_PROPERTY, IsDeviceName } from '../dto/device-name.decorator.js';
import { LoginDeviceDto } from '../dto/login.dto.js';

@ApiSchema({ name: 'AddPasskeyRequest' })
export class AddPasskeyDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "The authenticator's answer to the creation options, as `RegistrationResponseJSON` (WebAuthn Level 3 `toJSON()`).",
  })
  @IsObject()
  response!: RegistrationResponseJSON;

  @ApiPropertyOptional({ ...DEVICE_NAME_PROPERTY, description: 'A label for the passkey (default `Passkey`).', example: 'iCloud Keychain' })
  @IsOptional()
  @IsDeviceName()
  name?: string;
}

@ApiSchema({ name: 'PasskeyLoginRequest' })
export class PasskeyLoginDto {
  @ApiProperty({ description: 'The `challengeId` of `POST /auth/passkey/options`.' })
  @IsString()
  @Length(1, 64)
  challengeId!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "The authenticator's assertion, as `AuthenticationResponseJSON` (WebAuthn Level 3 `toJSON()`).",
  })
  @IsObject()
  response!: AuthenticationResponseJSON;

  @ApiProperty({ type: () => LoginDeviceDto, description: 'The device this sign-in creates.' })
  @IsDefined()
  @IsNotEmptyObject({ nullable: false }, { message: 'must be an object with a name' })
  @ValidateNested()
  @Type(() => LoginDeviceDto)
  device!: LoginDeviceDto;
}
