import type { LogLevel } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { parse as parseQueryString } from 'node:querystring';
import { FORM_CONTENT_TYPE } from '@app/auth';
import { createValidationPipe, ProblemDetailsFilter, type PlatformOptions } from '@app/platform';
import { ApiModule } from './api.module.js';

/** API.md: bodies over 16 KiB are rejected (413). */
const BODY_LIMIT = 16 * 1024;

/** Only the OAuth endpoints take form bodies, and answer errors as RFC 6749. */
const OAUTH_ROUTES = new Set(['/auth/refresh', '/auth/revoke']);

/**
 * Builds the API application exactly as it runs: main.ts and the e2e tests both call this,
 * so tests exercise the real adapter, parsers, pipes and filters.
 */
export interface ApiAppOptions extends PlatformOptions {
  readonly logger?: LogLevel[] | false;
}

export async function createApiApp(options: ApiAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: BODY_LIMIT });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(options), adapter, {
    logger: options.logger ?? ['error', 'warn', 'log'],
    // Fastify's own JSON parser stays; forms get the parser below instead of Nest's.
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();

  // JSON everywhere; forms only where OAuth clients send them; no text/plain bodies.
  fastify.removeContentTypeParser(['text/plain', FORM_CONTENT_TYPE]);
  fastify.addContentTypeParser(FORM_CONTENT_TYPE, { parseAs: 'string' }, (request, body, done) => {
    if (!OAUTH_ROUTES.has(request.url.split('?')[0])) {
      done(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }), undefined);
      return;
    }
    done(null, { ...parseQueryString(body as string) });
  });

  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter(app.get(HttpAdapterHost), OAUTH_ROUTES));
  app.enableShutdownHooks();
  await app.init();
  await fastify.ready();
  return app;
}
