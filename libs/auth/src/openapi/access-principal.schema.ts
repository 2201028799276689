import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'AccessPrincipal', description: 'Who the verified access token speaks for (`GET /me`).' })
export class AccessPrincipalSchema {
  @ApiProperty({ format: 'uuid' })
  readonly userId!: string;

  @ApiProperty({ format: 'uuid' })
  readonly deviceId!: string;

  @ApiProperty({ format: 'date-time', description: "The access token's expiry." })
  readonly expiresAt!: string;
}
