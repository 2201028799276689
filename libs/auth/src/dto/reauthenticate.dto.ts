import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';

@ApiSchema({ name: 'ReauthenticateRequest' })
export class ReauthenticateDto {
  @ApiProperty({ minLength: 1, maxLength: 128, format: 'password' })
  @IsString()
  @Length(1, 128, { message: 'must be 1 to 128 characters' })
  password!: string;

  @ApiPropertyOptional({ description: 'The second factor, when TOTP is on (not yet offered: ignored).', maxLength: 32 })
  @IsOptional()
  @IsString()
  @Length(1, 32)
  code?: string;
}
