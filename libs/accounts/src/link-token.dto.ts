import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

/** A mailed link's token, as the dashboard's landing page POSTs it. A string of any other shape is simply an invalid token. */
@ApiSchema({ name: 'LinkTokenRequest' })
export class LinkTokenDto {
  @ApiProperty({ description: 'The `token` of the mailed link (base64url, 43 characters).', maxLength: 512 })
  @IsString()
  @MaxLength(512)
  token!: string;
}
