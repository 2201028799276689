import { ApiProperty, ApiSchema } from '@nestjs/swagger';

/** RFC 8414 §2: what this authorization server offers, for OAuth client libraries to discover. */
export interface AuthorizationServerMetadata {
  readonly issuer: string;
  readonly token_endpoint: string;
  readonly revocation_endpoint: string;
  readonly jwks_uri: string;
  readonly grant_types_supported: readonly string[];
  readonly token_endpoint_auth_methods_supported: readonly string[];
  readonly revocation_endpoint_auth_methods_supported: readonly string[];
  readonly dpop_signing_alg_values_supported: readonly string[];
}

@ApiSchema({
  name: 'AuthorizationServerMetadata',
  description: 'RFC 8414 metadata. URLs are absolute, from `PUBLIC_URL` (else the request).',
})
export class AuthorizationServerMetadataSchema implements AuthorizationServerMetadata {
  @ApiProperty({ description: 'Equals the `iss` of access tokens (RFC 8414 §3.3, RFC 9068 §4).' })
  readonly issuer!: string;

  @ApiProperty({ format: 'uri' })
  readonly token_endpoint!: string;

  @ApiProperty({ format: 'uri' })
  readonly revocation_endpoint!: string;

  @ApiProperty({ format: 'uri' })
  readonly jwks_uri!: string;

  @ApiProperty({ type: [String], example: ['refresh_token'] })
  readonly grant_types_supported!: readonly string[];

  @ApiProperty({ type: [String], example: ['none'] })
  readonly token_endpoint_auth_methods_supported!: readonly string[];

  @ApiProperty({ type: [String], example: ['none'] })
  readonly revocation_endpoint_auth_methods_supported!: readonly string[];

  @ApiProperty({ type: [String], description: 'RFC 9449 §5.1: the algorithms DPoP proofs may use.' })
  readonly dpop_signing_alg_values_supported!: readonly string[];
}
