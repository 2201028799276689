import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { TokenResponse } from '../tokens/token-response.js';

/** The token response's OpenAPI schema; `implements` keeps it in step with the type the code returns. */
@ApiSchema({ name: 'TokenResponse', description: 'RFC 6749 §5.1 token response, sent with `Cache-Control: no-store`.' })
export class TokenResponseSchema implements TokenResponse {
  @ApiProperty({ description: 'A short-lived JWT (RFC 9068); clients treat it as opaque.' })
  readonly access_token!: string;

  @ApiProperty({ enum: ['Bearer', 'DPoP'], description: '`DPoP` for a device bound to a key (RFC 9449 §5).' })
  readonly token_type!: 'Bearer' | 'DPoP';

  @ApiProperty({ type: 'integer', description: 'Seconds until the access token expires.', example: 900 })
  readonly expires_in!: number;

  @ApiProperty({ description: 'Opaque; rotated by every refresh (the old one is spent).' })
  readonly refresh_token!: string;

  @ApiProperty({ type: 'integer', description: 'Seconds until the refresh token expires unused (idle lifetime).', example: 2592000 })
  readonly refresh_token_expires_in!: number;

  @ApiProperty({ format: 'uuid', description: 'The device this session belongs to.' })
  readonly device_id!: string;
}
