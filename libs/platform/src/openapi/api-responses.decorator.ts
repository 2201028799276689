import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtension, ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { OAuthErrorSchema } from './oauth-error.schema.js';
import { ProblemDetailsSchema } from './problem-details.schema.js';
import { wireHeaders, type WireHeaderName } from './wire-headers.js';

/** An error answer of status `status` in application/problem+json (RFC 9457). */
export function ApiProblemResponse(status: number, description: string, ...headers: WireHeaderName[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsSchema),
    ApiResponse({
      status,
      description,
      content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsSchema) } } },
      ...(headers.length > 0 ? { headers: wireHeaders(...headers) } : {}),
    }),
  );
}

/** An error answer of a token endpoint, RFC 6749 §5.2 JSON (sent with `Cache-Control: no-store`). */
export function ApiOAuthErrorResponse(status: number, description: string, ...headers: WireHeaderName[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(OAuthErrorSchema),
    ApiResponse({
      status,
      description,
      content: { 'application/json': { schema: { $ref: getSchemaPath(OAuthErrorSchema) } } },
      headers: wireHeaders('Cache-Control', ...headers),
    }),
  );
}

/** The 400 of a route whose body is validated: problem+json with `errors`. */
export const ApiValidationResponse = (
  description = 'The body is not valid: `errors` lists each refused field. Unknown fields are refused too.',
): MethodDecorator & ClassDecorator => ApiProblemResponse(400, description);

/**
 * The extension that carries per-media-type body schemas from `ApiRequestBodies` to the
 * document's finishing step: @nestjs/swagger gives every media type of a body the same schema.
 */
export const REQUEST_BODY_SCHEMAS_EXTENSION = 'x-request-body-schemas';

/**
 * A request body that takes a different shape per media type (the OAuth endpoints take JSON or,
 * as OAuth client libraries send them, forms with extra standard parameters).
 */
export function ApiRequestBodies(schemas: Readonly<Record<string, new () => object>>, description?: string): MethodDecorator {
  const [first] = Object.values(schemas);
  return applyDecorators(
    ApiExtraModels(...Object.values(schemas)),
    ApiConsumes(...Object.keys(schemas)),
    ApiBody({ type: first, required: true, ...(description ? { description } : {}) }),
    ApiExtension(
      REQUEST_BODY_SCHEMAS_EXTENSION,
      Object.fromEntries(Object.entries(schemas).map(([mediaType, schema]) => [mediaType, getSchemaPath(schema)])),
    ),
  );
}
