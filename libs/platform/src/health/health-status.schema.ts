import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'HealthStatus' })
export class HealthStatusSchema {
  @ApiProperty({ enum: ['ok'] })
  readonly status!: 'ok';
}
