import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'ServiceInfo' })
export class ServiceInfoSchema {
  @ApiProperty({ example: 'device-auth' })
  readonly name!: string;

  @ApiProperty({ example: '0.1.0' })
  readonly version!: string;
}
