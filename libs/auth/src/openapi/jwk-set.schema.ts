import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'JwkSet', description: 'RFC 7517 JWK set of the public verification keys; empty under HS256.' })
export class JwkSetSchema {
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: { type: 'string' } },
    description: 'Public JWKs (`kty`, `crv`, `x`, `y`, `kid`, `alg`, `use`).',
  })
  readonly keys!: Record<string, string>[];
}
