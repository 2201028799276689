import type { INestApplication, Type } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject, type OperationObject, type PathItemObject } from '@nestjs/swagger';
import { ACCESS_TOKEN_SECURITY_SCHEMES } from '@app/auth';
import { FEATURES } from '@app/features';
import { REVOCATION_FEED_SECURITY_SCHEME } from '@app/revocation-feed';
import { SSF_RECEIVER_SECURITY_SCHEME } from '@app/ssf';
import { METRICS_SECURITY_SCHEME, REQUEST_BODY_SCHEMAS_EXTENSION, WIRE_HEADERS, wireHeaders, type AppConfig } from '@app/platform';

const DESCRIPTION = `Authentication for mobile and API clients: sign-in per device, rotating refresh tokens with reuse detection, per-device revocation, and device-bound tokens (DPoP, RFC 9449).

Errors are \`application/problem+json\` (RFC 9457), except at \`/auth/refresh\` and \`/auth/revoke\`, which answer RFC 6749 §5.2 errors. Guarded routes take \`Authorization: Bearer <token>\`, or \`Authorization: DPoP <token>\` with a \`DPoP\` proof header for a key-bound device. Every response carries \`X-Request-Id\`.`;

const TAGS: readonly [string, string][] = [
  ['auth', 'Accounts, sign-in, token refresh and revocation'],
  ['devices', "The signed-in user's devices"],
  ['discovery', 'Keys and metadata for OAuth clients and other services'],
  ['service', 'What the service is and whether it is healthy'],
  ['shared signals', 'OpenID Shared Signals (SSF 1.0) transmitter: streams, poll delivery, metadata'],
];

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * The product's own document: every route but those of the feature modules added to it
 * (libs/features). docs/openapi.json holds it, and the contract tests hold it to docs/API.md,
 * so a new feature module's routes need no edit of either (they are in /openapi.json).
 */
export function createProductApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  return createApiDocument(
    app,
    config,
    FEATURES.map((feature) => feature.module),
  );
}

/**
 * The API's OpenAPI 3.1 document, generated from the controllers' and DTOs' decorators, without
 * the controllers of the modules in `leaveOut`. Deterministic for a given build and
 * configuration: no timestamps, sorted maps, and no absolute server URL unless PUBLIC_URL is
 * set, so docs/openapi.json can be compared with it.
 */
export function createApiDocument(app: INestApplication, config: AppConfig, leaveOut: readonly Type<unknown>[] = []): OpenAPIObject {
  const builder = new DocumentBuilder()
    // @nestjs/swagger emits 3.1 itself when asked (nullable becomes a type list).
    .setOpenAPIVersion('3.1.0')
    .setTitle(config.appName)
    .setDescription(DESCRIPTION)
    .setVersion(config.appVersion)
    // Relative: the document describes the server that serves it, unless PUBLIC_URL names it.
    .addServer(config.publicUrl ?? '/');
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const base = builder.build();
  const document = SwaggerModule.createDocument(
    app,
    {
      ...base,
      info: {
        title: base.info.title,
        description: base.info.description,
        version: base.info.version,
        license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
      },
      components: {
        securitySchemes: {
          ...ACCESS_TOKEN_SECURITY_SCHEMES,
          ...REVOCATION_FEED_SECURITY_SCHEME,
          ...SSF_RECEIVER_SECURITY_SCHEME,
          ...METRICS_SECURITY_SCHEME,
        },
        headers: { ...WIRE_HEADERS },
      },
    },
    {
      operationIdFactory: (controller, method) => `${lowerFirst(controller.replace(/Controller$/, ''))}${upperFirst(method)}`,
      // Every module but those left out (SwaggerModule scans every module when `include` is empty).
      include:
        leaveOut.length === 0
          ? []
          : [...app.get(ModulesContainer).values()].map((module) => module.metatype).filter((module) => !leaveOut.includes(module)),
    },
  );
  // Served by SwaggerModule rather than a controller, so described here.
  document.paths['/openapi.json'] = {
    get: {
      operationId: 'getOpenApiDocument',
      summary: 'This OpenAPI 3.1 document',
      description: 'Off in production unless `API_DOCS=true`; Swagger UI is at `/docs`.',
      tags: ['service'],
      responses: { '200': { description: 'The document.', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  };
  for (const operation of operationsOf(document)) finishOperation(operation);
  closeRequestSchemas(document);
  return withSortedMaps(document);
}

/** The document as docs/openapi.json holds it: two-space JSON with a final newline. */
export function serializeApiDocument(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

function* operationsOf(document: OpenAPIObject): Generator<OperationObject> {
  for (const item of Object.values(document.paths) as PathItemObject[]) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (operation) yield operation;
    }
  }
}

function finishOperation(operation: OperationObject): void {
  const extensible = operation as OperationObject & Record<string, unknown>;
  // ApiRequestBodies: a schema per media type (@nestjs/swagger gives them all the first one).
  const bodySchemas = extensible[REQUEST_BODY_SCHEMAS_EXTENSION] as Record<string, string> | undefined;
  if (bodySchemas && operation.requestBody && 'content' in operation.requestBody) {
    for (const [mediaType, ref] of Object.entries(bodySchemas)) operation.requestBody.content[mediaType] = { schema: { $ref: ref } };
  }
  delete extensible[REQUEST_BODY_SCHEMAS_EXTENSION];
  // No security requirement means the route is public (@Public()); say so explicitly, as
  // OpenAPI's default would be "whatever the document's global requirement is".
  operation.security ??= [];
  // API.md: every response carries X-Request-Id.
  for (const response of Object.values(operation.responses)) {
    if (!response || '$ref' in response) continue;
    response.headers = { ...response.headers, ...wireHeaders('X-Request-Id') };
  }
}

/**
 * API.md: unknown fields are refused (the validation pipe's forbidNonWhitelisted, and the token
 * endpoints' own check), so every schema a request body uses, nested ones too, is closed.
 */
function closeRequestSchemas(document: OpenAPIObject): void {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Record<string, unknown>>;
  const pending = [...operationsOf(document)].flatMap((operation) =>
    operation.requestBody && 'content' in operation.requestBody
      ? Object.values(operation.requestBody.content).map((media) => media.schema)
      : [],
  );
  const seen = new Set<string>();
  while (pending.length > 0) {
    const node = pending.pop() as Record<string, unknown> | undefined;
    if (!node || typeof node !== 'object') continue;
    const ref = typeof node.$ref === 'string' ? node.$ref.replace('#/components/schemas/', '') : undefined;
    if (ref !== undefined) {
      if (seen.has(ref) || !schemas[ref]) continue;
      seen.add(ref);
      schemas[ref].additionalProperties = false;
      pending.push(schemas[ref]);
      continue;
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) pending.push(...value);
      else if (value && typeof value === 'object') pending.push(value);
    }
  }
}

function withSortedMaps(document: OpenAPIObject): OpenAPIObject {
  const components = document.components ?? {};
  return {
    ...document,
    paths: sortKeys(document.paths),
    components: sortKeys(
      Object.fromEntries(Object.entries(components).map(([key, value]) => [key, sortKeys(value as Record<string, unknown>)])),
    ),
  };
}

/** Code-unit order, not the locale's: the same on every machine. */
function sortKeys<T extends object>(map: T): T {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);
const upperFirst = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
