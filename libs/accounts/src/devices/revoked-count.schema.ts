import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'RevokedCount' })
export class RevokedCountSchema {
  @ApiProperty({ type: 'integer', minimum: 0, description: 'How many devices were revoked.' })
  readonly revoked!: number;
}
