import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AppConfig } from '@app/platform';
import { createApiDocument } from './api-document.js';

const DOCS_PATH = '/docs';
const DOCUMENT_PATH = '/openapi.json';

/**
 * The policy of the Swagger UI page: its script and stylesheet from our own origin and data:
 * images (its stylesheet's icons); nothing inline, nothing foreign, no framing. Swagger UI
 * needs no 'unsafe-inline' (it sets styles through the DOM, which CSP allows): the page below
 * has no inline script or style, and api-docs.browser-spec.ts holds it to that. The API's own
 * CSP (`default-src 'none'`) would leave the page blank.
 */
const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join(';');

/**
 * Swagger UI's files, from the swagger-ui-dist that @nestjs/swagger itself depends on. Served
 * by the routes below rather than SwaggerModule's @fastify/static: that one serves the whole
 * folder, and @fastify/static 10 needs require(esm) (content-disposition 3), which Jest's module
 * loader lacks on Node 20, so every in-process e2e suite would stop at start.
 */
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** No inline script: the page loads this file, which points Swagger UI at the served document. */
const INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '${DOCUMENT_PATH}', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null });
});
`;

function docsPage(title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${title}</title>
  <link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
  <script src="${DOCS_PATH}/swagger-ui-init.js"></script>
</body>
</html>
`;
}

/**
 * Serves the OpenAPI document at `/openapi.json` (SwaggerModule) and Swagger UI at `/docs`.
 * Call before the app is initialised (the routes go to Fastify directly, outside Nest's guard:
 * both are public), and after the hook that sets the API's security headers, which this
 * relaxes for `/docs` alone.
 */
export function serveApiDocs(app: NestFastifyApplication, config: AppConfig): void {
  SwaggerModule.setup(DOCS_PATH, app, () => createApiDocument(app, config), { ui: false, raw: ['json'], jsonDocumentUrl: DOCUMENT_PATH });

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0];
    if (path === DOCS_PATH || path.startsWith(`${DOCS_PATH}/`)) void reply.header('content-security-policy', DOCS_CONTENT_SECURITY_POLICY);
    done();
  });

  const page = docsPage(`${config.appName} API`);
  fastify.get(DOCS_PATH, (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  fastify.get(`${DOCS_PATH}/swagger-ui-init.js`, (_request, reply) => reply.type(ASSETS['swagger-ui-bundle.js']).send(INIT_SCRIPT));
  const assetsDir = swaggerUiDistDir();
  const loaded = new Map<string, Buffer>();
  for (const [file, contentType] of Object.entries(ASSETS)) {
    fastify.get(`${DOCS_PATH}/${file}`, (_request, reply) => {
      // Read on first use: most processes (and test apps) never serve the UI.
      let body = loaded.get(file);
      if (!body) loaded.set(file, (body = readFileSync(join(assetsDir, file))));
      return reply.type(contentType).header('cache-control', 'public, max-age=86400').send(body);
    });
  }
}

/** The swagger-ui-dist folder, resolved from @nestjs/swagger's own location. */
function swaggerUiDistDir(): string {
  const fromSwagger = createRequire(createRequire(import.meta.url).resolve('@nestjs/swagger'));
  return dirname(fromSwagger.resolve('swagger-ui-dist/package.json'));
}
