import { createConfig, lintFromString } from '@redocly/openapi-core';
import { Validator } from '@seriousme/openapi-schema-validator';
import { readFileSync } from 'node:fs';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { FEATURES } from '@app/features';
import { createProductApiDocument, serializeApiDocument } from '../src/openapi/api-document.js';
import { registerAndLogin, startTestApi, type TestApi } from './support/test-api.js';

/** Production refuses to start without SMTP_URL (API.md § Accounts); nothing is mailed in these runs. */
const PRODUCTION_SMTP_URL = 'smtp://127.0.0.1:2525';

// The API's OpenAPI document: valid 3.1, lint-clean for a real consumer (Redocly), equal to the
// checked-in docs/openapi.json, and holding every route of docs/API.md (the contract's copy in
// this repository) with the same method, path, auth and status codes. These hold the product's
// own routes: those of every module but the feature modules added in libs/features, which
// /openapi.json serves too and which need no line here (README, "Extending").

interface Operation {
  operationId: string;
  security: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }>; headers?: Record<string, { $ref: string }> }>;
}
interface Document {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { properties: Record<string, { enum?: unknown[]; type?: unknown }>; required?: string[] }>;
    securitySchemes: Record<string, { type: string; scheme: string }>;
    headers: Record<string, unknown>;
  };
}

/**
 * Routes API.md names that other branches are adding in parallel; each entry goes when its
 * merge brings the route (the test then holds it to API.md like every other, and the route
 * needs its line in ERROR_STATUSES below).
 */
const NOT_YET_IN_THE_DOCUMENT = new Set<string>([]);

/** Every error status each route documents: exactly these, no more, no fewer. */
const ERROR_STATUSES: Record<string, number[]> = {
  'POST /auth/register': [400, 409, 429, 503],
  'POST /auth/login': [400, 401, 429, 503],
  'POST /auth/refresh': [400, 429, 503],
  'POST /auth/logout': [401, 429],
  'POST /auth/revoke': [400, 429, 503],
  'POST /auth/password': [400, 401, 403, 429, 503],
  'GET /': [],
  'GET /me': [401, 429],
  'GET /devices': [401, 429, 503],
  'PATCH /devices/{id}': [400, 401, 404, 429, 503],
  'DELETE /devices/{id}': [401, 404, 429, 503],
  'POST /devices/revoke-others': [401, 429, 503],
  'GET /.well-known/jwks.json': [],
  'GET /.well-known/oauth-authorization-server': [],
  'GET /health': [503],
  'GET /health/live': [],
  'GET /health/ready': [503],
  'GET /metrics': [401, 404],
  'GET /revocations': [400, 401, 404, 503],
  'GET /openapi.json': [],
  'GET /account': [401, 429, 503],
  'DELETE /account': [401, 429, 503],
  'POST /account/email': [400, 401, 429, 503],
  'POST /account/email/confirm': [400, 409, 429, 503],
  'POST /auth/email/verify': [400, 429],
  'POST /auth/email/verify/request': [401, 429],
  'POST /auth/password/forgot': [400, 429],
  'POST /auth/password/reset': [400, 429, 503],
  'POST /auth/reauthenticate': [400, 401, 429, 503],
  'POST /account/passkeys/options': [401, 429, 503],
  'POST /account/passkeys': [400, 401, 409, 429, 503],
  'GET /account/passkeys': [401, 429, 503],
  'DELETE /account/passkeys/{id}': [401, 404, 429, 503],
  'POST /auth/passkey/options': [503],
  'POST /auth/passkey/login': [400, 401, 429, 503],
  'POST /auth/login/mfa': [400, 401, 429, 503],
  'POST /account/totp': [401, 409, 429, 503],
  'POST /account/totp/confirm': [400, 401, 409, 429, 503],
  'DELETE /account/totp': [401, 404, 429, 503],
  'GET /.well-known/ssf-configuration': [404],
  'POST /ssf/streams': [400, 401, 404, 409, 503],
  'GET /ssf/streams': [400, 401, 404, 503],
  'PATCH /ssf/streams': [400, 401, 404, 503],
  'PUT /ssf/streams': [400, 401, 404, 503],
  'DELETE /ssf/streams': [400, 401, 404, 503],
  'GET /ssf/status': [400, 401, 404, 503],
  'POST /ssf/status': [400, 401, 404, 503],
  'POST /ssf/verify': [400, 401, 404, 409, 503],
  'POST /ssf/poll/{id}': [400, 401, 404, 503],
};

/** Routes whose limits answer 429/503 with Retry-After (API.md, Errors). */
const LIMITED = [
  'POST /auth/register',
  'POST /auth/login',
  'POST /auth/password',
  'POST /auth/password/reset',
  'POST /auth/reauthenticate',
  'POST /auth/login/mfa',
];
/** Routes counted per client IP, address or account before any work (API.md § Accounts): 429 with Retry-After. */
const COUNTED = [
  'POST /auth/password/forgot',
  'POST /auth/email/verify',
  'POST /auth/email/verify/request',
  'POST /account/email',
  'POST /account/email/confirm',
  'POST /auth/passkey/login',
  'POST /account/totp/confirm',
];

interface ContractRoute {
  readonly route: string;
  /** The table's auth column; undefined for the routes named in prose (their own rules). */
  readonly auth?: string;
  readonly body: string;
  readonly success: number;
}

/** docs/API.md's endpoint table, and the GET routes its introduction names (health, docs, metrics). */
function contractRoutes(): ContractRoute[] {
  const markdown = readFileSync('docs/API.md', 'utf8');
  const routes: ContractRoute[] = [];
  for (const [, method, path, auth, body, success] of markdown.matchAll(
    /^\| `(GET|POST|PUT|PATCH|DELETE) ([^`]+)` \| ([^|]+) \| ([^|]+) \| `(\d{3})/gm,
  )) {
    routes.push({ route: `${method} ${path.replace(/:(\w+)/g, '{$1}')}`, auth: auth.trim(), body: body.trim(), success: Number(success) });
  }
  const introduction = markdown.slice(0, markdown.indexOf('\n## '));
  for (const [, path] of introduction.matchAll(/`GET (\/[^`\s]*)`/g)) {
    routes.push({ route: `GET ${path}`, body: '—', success: 200 });
  }
  return routes;
}

function documentedRoutes(document: Document): Map<string, Operation> {
  const routes = new Map<string, Operation>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) routes.set(`${method.toUpperCase()} ${path}`, operation);
  }
  return routes;
}

function statusesOf(operation: Operation): number[] {
  return Object.keys(operation.responses)
    .map(Number)
    .sort((a, b) => a - b);
}

describe('OpenAPI document (GET /openapi.json)', () => {
  let api: TestApi;
  let served: string;
  /** The product's own document (no feature module's routes): what docs/openapi.json holds. */
  let document: Document;

  beforeAll(async () => {
    // With metrics, the revocation feed and the SSF transmitter (an ES256 key) on: GET /metrics,
    // GET /revocations and the stream routes are then guarded by their own tokens (401 for an
    // anonymous request).
    api = await startTestApi({
      JWT_PRIVATE_KEY: generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString(),
      METRICS_TOKEN: 'openapi-test-metrics-token',
      REVOCATION_FEED_TOKEN: 'openapi-test-revocation-feed-token-32-bytes',
    });
    const response = await api.http().get('/openapi.json').expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    served = response.text;
    document = JSON.parse(serializeApiDocument(createProductApiDocument(api.app, api.config))) as Document;
  });

  afterAll(async () => {
    await api.close();
  });

  it('is valid against the official OpenAPI 3.1 schema, as served with any feature module', async () => {
    const whole = JSON.parse(served) as Document;
    expect(whole.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(whole as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it("passes Redocly's recommended lint without a problem", async () => {
    const config = await createConfig({
      extends: ['recommended'],
      // GET /, /health, the discovery documents and /openapi.json take no input and answer no
      // client error, so there is no 4xx to document for them.
      rules: { 'operation-4xx-response': 'off' },
    });
    const problems = await lintFromString({ source: serializeApiDocument(document), absoluteRef: 'openapi.json', config });
    expect(
      problems.map(({ ruleId, severity, message, location }) => `${severity} ${ruleId}: ${message} at ${location[0]?.pointer}`),
    ).toEqual([]);
  });

  it("serves the product's routes as they are in its own document, and the feature modules' routes besides", () => {
    const whole = JSON.parse(served) as Document;
    const product = documentedRoutes(document);
    const servedRoutes = documentedRoutes(whole);
    for (const [route, operation] of product) expect({ route, served: servedRoutes.get(route) }).toEqual({ route, served: operation });
    // Anything else served is under the path of a feature module's controller.
    const featurePaths = FEATURES.flatMap((feature) => (Reflect.getMetadata('controllers', feature.module) ?? []) as object[]).map(
      (controller) => `/${String(Reflect.getMetadata('path', controller) ?? '').replace(/^\//, '')}`,
    );
    for (const route of [...servedRoutes.keys()].filter((route) => !product.has(route))) {
      const path = route.split(' ')[1];
      expect({ route, ofAFeature: featurePaths.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)) }).toEqual({
        route,
        ofAFeature: true,
      });
    }
  });

  it('equals the checked-in docs/openapi.json (on a difference, regenerate it with `npm run openapi`)', () => {
    const checkedIn = readFileSync('docs/openapi.json', 'utf8');
    const current = serializeApiDocument(document);
    if (checkedIn !== current) {
      throw new Error('docs/openapi.json is not what the code generates: run `npm run openapi` and commit docs/openapi.json.');
    }
    // Deterministic: no timestamps, and no absolute server URL without PUBLIC_URL.
    expect(document.servers).toEqual([{ url: '/' }]);
  });

  it('documents every route of API.md with its method, path, auth and success status, and no other', () => {
    const contract = contractRoutes().filter(({ route }) => !NOT_YET_IN_THE_DOCUMENT.has(route));
    expect(contract.length).toBeGreaterThanOrEqual(15);
    const documented = documentedRoutes(document);
    expect([...documented.keys()].sort()).toEqual(contract.map(({ route }) => route).sort());
    for (const { route, auth, body, success } of contract) {
      const operation = documented.get(route)!;
      // 304 answers a conditional request (If-None-Match): not a second outcome of the route.
      const successes = statusesOf(operation).filter((status) => status < 400 && status !== 304);
      expect({ route, successes }).toEqual({ route, successes: [success] });
      if (auth === 'none') {
        expect({ route, security: operation.security }).toEqual({ route, security: [] });
      } else if (auth === 'Bearer/DPoP') {
        expect({ route, security: operation.security }).toEqual({ route, security: [{ bearer: [] }, { dpop: [] }] });
        expect({ route, challenge: operation.responses['401']?.headers?.['WWW-Authenticate'] }).toEqual({
          route,
          challenge: { $ref: '#/components/headers/WWW-Authenticate' },
        });
      } else if (auth !== undefined) {
        // Another credential (the revocation feed's): some scheme, and a 401 without it.
        expect({ route, secured: operation.security.length > 0, documents401: '401' in operation.responses }).toEqual({
          route,
          secured: true,
          documents401: true,
        });
      }
      if (body !== '—') expect({ route, documents400: '400' in operation.responses }).toEqual({ route, documents400: true });
    }
    for (const pending of NOT_YET_IN_THE_DOCUMENT) {
      // Once a merge brings the route, its entry above must go.
      expect({ pending, documented: documented.has(pending) }).toEqual({ pending, documented: false });
    }
  });

  it('documents the error statuses of each route, with Retry-After where limits apply', () => {
    const documented = documentedRoutes(document);
    const errors = Object.fromEntries(
      [...documented].map(([route, operation]) => [route, statusesOf(operation).filter((status) => status >= 400)]),
    );
    expect(errors).toEqual(ERROR_STATUSES);
    for (const route of LIMITED) {
      const { responses } = documented.get(route)!;
      expect(responses['429'].headers?.['Retry-After']).toEqual({ $ref: '#/components/headers/Retry-After' });
      expect(responses['503'].headers?.['Retry-After']).toEqual({ $ref: '#/components/headers/Retry-After' });
    }
    for (const route of COUNTED) {
      expect({ route, retryAfter: documented.get(route)!.responses['429'].headers?.['Retry-After'] }).toEqual({
        route,
        retryAfter: { $ref: '#/components/headers/Retry-After' },
      });
    }
    // Every 429 says when to come back (the DPoP limits of guarded routes and token endpoints too).
    for (const [route, operation] of documented) {
      if (operation.responses['429'])
        expect({ route, header: operation.responses['429'].headers?.['Retry-After'] }).toEqual({
          route,
          header: { $ref: '#/components/headers/Retry-After' },
        });
    }
    for (const [route, operation] of documented) {
      for (const [status, response] of Object.entries(operation.responses)) {
        expect({ route, status, requestId: response.headers?.['X-Request-Id'] }).toEqual({
          route,
          status,
          requestId: { $ref: '#/components/headers/X-Request-Id' },
        });
      }
    }
  });

  it('answers an anonymous, empty request to each route with a status and media type the document lists', async () => {
    // Holds the document to the running guard and filters: a guarded route must answer 401, a
    // public one must not, and the error's content type must be the documented one.
    for (const [route, operation] of documentedRoutes(document)) {
      const [method, path] = route.split(' ');
      const url = path.replace('{id}', randomUUID());
      const call = api.http()[method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete'](url);
      const response = await (['POST', 'PATCH'].includes(method) ? call.set('Content-Type', 'application/json').send('{}') : call);
      const documented = operation.responses[String(response.status)];
      expect({ route, status: response.status, documented: documented !== undefined }).toEqual({
        route,
        status: response.status,
        documented: true,
      });
      expect({ route, guarded: response.status === 401 }).toEqual({ route, guarded: operation.security.length > 0 });
      if (documented.content && response.status !== 200) {
        const mediaType = String(response.headers['content-type']).split(';')[0];
        expect({ route, mediaType, listed: mediaType in documented.content }).toEqual({ route, mediaType, listed: true });
      }
    }
  });

  it('describes the token response, the Device and both error shapes as the API sends them', async () => {
    const { schemas } = document.components;
    // The sign-in below sends no device platform (it defaults to `other`): the document must not require one.
    const signedIn = await registerAndLogin(api);
    expect(schemas.LoginDevice.required).toEqual(['name']);
    expect(schemas.LoginDevice.properties.platform).toMatchObject({ default: 'other' });
    const tokenProperties = Object.keys(schemas.TokenResponse.properties).sort();
    expect(tokenProperties).toEqual(Object.keys(signedIn.tokens).sort());
    expect(schemas.TokenResponse.required?.sort()).toEqual(tokenProperties);
    expect(schemas.TokenResponse.properties.token_type.enum).toEqual(['Bearer', 'DPoP']);

    const devices = await api.http().get('/devices').set('Authorization', `Bearer ${signedIn.tokens.access_token}`).expect(200);
    expect(Object.keys(schemas.Device.properties).sort()).toEqual(Object.keys(devices.body.devices[0]).sort());
    expect(schemas.Device.properties.userAgent.type).toEqual(['string', 'null']);

    const invalid = await api.http().post('/auth/register').send({ email: 'not-an-email', password: 'correct horse battery' }).expect(400);
    expect(Object.keys(invalid.body).every((key) => key in schemas.ProblemDetails.properties)).toBe(true);
    expect(schemas.ProblemDetails.required?.sort()).toEqual(['detail', 'status', 'title', 'type']);
    expect(schemas.ProblemDetails.properties.errors).toBeDefined();

    const refused = await api.http().post('/auth/refresh').send({ refresh_token: 'unknown' }).expect(400);
    expect(Object.keys(refused.body).every((key) => key in schemas.OAuthError.properties)).toBe(true);
    expect(schemas.OAuthError.properties.reason.enum).toEqual([
      'revoked',
      'password_changed',
      'reused',
      'expired',
      'session_expired',
      'invalid',
    ]);
    expect(schemas.OAuthError.properties.error.enum).toEqual(
      expect.arrayContaining(['invalid_grant', 'invalid_dpop_proof', 'use_dpop_nonce']),
    );
  });

  it('documents the Bearer and DPoP schemes, the DPoP proof header, form bodies and the token-endpoint errors', () => {
    expect(document.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      dpop: { type: 'http', scheme: 'DPoP' },
    });
    expect(Object.keys(document.components.headers).sort()).toEqual([
      'Cache-Control',
      'DPoP-Nonce',
      'Retry-After',
      'WWW-Authenticate',
      'X-Request-Id',
    ]);
    const documented = documentedRoutes(document);
    for (const route of ['POST /auth/login', 'POST /auth/refresh', 'GET /me', 'GET /devices']) {
      expect({ route, dpop: documented.get(route)!.parameters?.find((parameter) => parameter.in === 'header')?.name }).toEqual({
        route,
        dpop: 'DPoP',
      });
    }
    expect(documented.get('POST /auth/refresh')!.requestBody?.content).toEqual({
      'application/json': { schema: { $ref: '#/components/schemas/RefreshRequest' } },
      'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/RefreshForm' } },
    });
    expect(documented.get('POST /auth/revoke')!.requestBody?.content).toEqual({
      'application/json': { schema: { $ref: '#/components/schemas/RevokeRequest' } },
      'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/RevokeForm' } },
    });
    expect(Object.keys(document.components.schemas.RefreshForm.properties).sort()).toEqual([
      'client_id',
      'grant_type',
      'refresh_token',
      'scope',
    ]);
    expect(document.components.schemas.RefreshForm.required?.sort()).toEqual(['grant_type', 'refresh_token']);
    // Unknown fields are refused: request schemas, nested ones too, are closed; responses are not.
    for (const name of [
      'RefreshForm',
      'RefreshRequest',
      'RevokeForm',
      'LoginRequest',
      'LoginDevice',
      'RegisterRequest',
      'RenameDeviceRequest',
    ]) {
      expect({ name, closed: (document.components.schemas[name] as { additionalProperties?: boolean }).additionalProperties }).toEqual({
        name,
        closed: false,
      });
    }
    expect(document.components.schemas.TokenResponse).not.toHaveProperty('additionalProperties');
    for (const route of ['POST /auth/refresh', 'POST /auth/revoke']) {
      const error = documented.get(route)!.responses['400'];
      expect(error.content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/OAuthError' } } });
      expect(error.headers?.['Cache-Control']).toBeDefined();
    }
    expect(documented.get('POST /auth/refresh')!.responses['400'].headers?.['DPoP-Nonce']).toBeDefined();
    expect(documented.get('POST /auth/login')!.responses['400'].content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } },
    });
  });

  it('serves Swagger UI at /docs under a CSP relaxed for /docs alone', async () => {
    const page = await api.http().get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('swagger-ui-bundle.js');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self';");
    expect(csp).not.toMatch(/unsafe-|https?:|\*/);
    expect(csp).toContain("frame-ancestors 'none'");
    const init = await api.http().get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain("url: '/openapi.json'");
    const bundle = await api.http().get('/docs/swagger-ui-bundle.js').expect(200);
    expect(bundle.headers['content-type']).toMatch(/^application\/javascript/);
    await api.http().get('/docs/swagger-ui.css').expect(200);
    // Only the files the page needs, not the folder they come from.
    await api.http().get('/docs/index.html').expect(404);
    await api.http().get('/docs/swagger-initializer.js').expect(404);
    // Everything else keeps the API's policy, which allows nothing.
    for (const path of ['/openapi.json', '/', '/documents', '/me']) {
      const response = await api.http().get(path);
      expect({ path, csp: response.headers['content-security-policy'] }).toEqual({
        path,
        csp: "default-src 'none';frame-ancestors 'none'",
      });
    }
  });
});

describe('OpenAPI document in production', () => {
  it('is not served without API_DOCS=true, and is with it', async () => {
    const hidden = await startTestApi({ NODE_ENV: 'production', SMTP_URL: PRODUCTION_SMTP_URL, PUBLIC_URL: 'https://auth.example.com' });
    try {
      await hidden.http().get('/openapi.json').expect(404);
      await hidden.http().get('/docs').expect(404);
      await hidden.http().get('/docs/swagger-ui-init.js').expect(404);
    } finally {
      await hidden.close();
    }
    const shown = await startTestApi({
      NODE_ENV: 'production',
      SMTP_URL: PRODUCTION_SMTP_URL,
      API_DOCS: 'true',
      PUBLIC_URL: 'https://auth.example.com',
    });
    try {
      const response = await shown.http().get('/openapi.json').expect(200);
      expect(response.body.servers).toEqual([{ url: 'https://auth.example.com' }]);
      await shown.http().get('/docs').expect(200);
    } finally {
      await shown.close();
    }
  });
});
