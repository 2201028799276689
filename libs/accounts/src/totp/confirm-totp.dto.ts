import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

@ApiSchema({ name: 'ConfirmTotpRequest' })
export class ConfirmTotpDto {
  @ApiProperty({ description: 'A current code of the authenticator app (6 digits).', minLength: 1, maxLength: 32, example: '123456' })
  @IsString()
  @Length(1, 32, { message: 'must be 1 to 32 characters' })
  code!: string;
}
