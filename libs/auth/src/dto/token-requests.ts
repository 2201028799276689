import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { IsOptional, IsString, Length, validateSync } from 'class-validator';
import { ApiRequestBodies, fieldErrorsOf, ValidationFailed } from '@app/platform';
import { UnsupportedGrantType } from '../auth.errors.js';

// The token endpoints take JSON or, as OAuth client libraries send them, form-encoded bodies.
// A form may carry the standard parameters the server has no use for; JSON may not.

const REFRESH_TOKEN_PROPERTY = { minLength: 1, maxLength: 512, description: 'The refresh token.' };

@ApiSchema({ name: 'RefreshRequest' })
class RefreshJsonDto {
  @ApiPropertyOptional({ enum: ['refresh_token'] })
  @IsOptional()
  @IsString()
  grant_type?: string;

  @ApiProperty(REFRESH_TOKEN_PROPERTY)
  @IsString()
  @Length(1, 512)
  refresh_token!: string;
}

@ApiSchema({ name: 'RefreshForm', description: 'RFC 6749 §6 refresh request; `client_id` and `scope` are accepted and ignored.' })
class RefreshFormDto {
  // RFC 6749 §6: required in the form; optional in our JSON shape.
  @ApiProperty({ enum: ['refresh_token'] })
  @IsString()
  grant_type!: string;

  @ApiProperty(REFRESH_TOKEN_PROPERTY)
  @IsString()
  @Length(1, 512)
  refresh_token!: string;

  @ApiPropertyOptional() @IsOptional() @IsString() client_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() scope?: string;
}

@ApiSchema({ name: 'RevokeRequest' })
class RevokeJsonDto {
  @ApiProperty({ minLength: 1, maxLength: 512, description: 'The refresh token to revoke (RFC 7009 §2.1).' })
  @IsString()
  @Length(1, 512)
  token!: string;
}

@ApiSchema({
  name: 'RevokeForm',
  description: 'RFC 7009 §2.1 revocation request; `token_type_hint` and `client_id` are accepted and ignored.',
})
class RevokeFormDto extends RevokeJsonDto {
  @ApiPropertyOptional() @IsOptional() @IsString() token_type_hint?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() client_id?: string;
}

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** `POST /auth/refresh`'s body for the OpenAPI document: JSON, or a form as OAuth client libraries send. */
export const ApiRefreshRequestBody = (): MethodDecorator =>
  ApiRequestBodies({ 'application/json': RefreshJsonDto, [FORM_CONTENT_TYPE]: RefreshFormDto });

/** `POST /auth/revoke`'s body (RFC 7009), JSON or form. */
export const ApiRevokeRequestBody = (): MethodDecorator =>
  ApiRequestBodies({ 'application/json': RevokeJsonDto, [FORM_CONTENT_TYPE]: RevokeFormDto });

function isForm(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === FORM_CONTENT_TYPE;
}

function validated<T extends object>(dto: new () => T, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationFailed([{ field: '', message: 'the body must be a JSON object or a form' }]);
  }
  const instance = plainToInstance(dto, body);
  const fields = fieldErrorsOf(validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: true }));
  if (fields.length > 0) throw new ValidationFailed(fields, `Invalid ${fields.map((field) => field.field).join(', ')}.`);
  return instance;
}

/** The refresh token of a `POST /auth/refresh` body (RFC 6749 §6). */
export function readRefreshRequest(contentType: string | undefined, body: unknown): string {
  // RFC 6749 §5.2: another grant (`password`, with its username and password fields) is
  // unsupported_grant_type, decided before its fields could make it an invalid_request.
  const grantType = typeof body === 'object' && body !== null ? (body as { grant_type?: unknown }).grant_type : undefined;
  if (typeof grantType === 'string' && grantType !== 'refresh_token') throw new UnsupportedGrantType();
  return validated(isForm(contentType) ? RefreshFormDto : RefreshJsonDto, body).refresh_token;
}

/** The token of a `POST /auth/revoke` body (RFC 7009 §2.1). */
export function readRevokeRequest(contentType: string | undefined, body: unknown): string {
  return validated(isForm(contentType) ? RevokeFormDto : RevokeJsonDto, body).token;
}
