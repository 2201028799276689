import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import Handlebars from 'handlebars';
import { join } from 'node:path';
import {
  AppConfig,
  appLoggers,
  drainConnectionsOnClose,
  httpServerOptions,
  logRequests,
  readPackageInfo,
  requestLoggingOptions,
  type LoggingOptions,
  type PlatformOptions,
} from '@app/platform';
import { AdminModule } from './admin.module.js';
import { dashboardScripts } from './assets/scripts.js';
import { LINK_LANDING_PATHS } from './links/link-token.js';
import { DashboardExceptionFilter } from './session/dashboard-exception.filter.js';

export interface AdminAppOptions extends PlatformOptions, LoggingOptions {}

const PARTIALS = ['device-list', 'event-list'];

/**
 * Scripts, styles and images from this origin only (the passkey scripts; nothing inline, no
 * handler attributes), which may call this origin only; forms post here; no framing.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Builds the dashboard exactly as it runs (main.ts and the tests call this). */
export async function createAdminApp(options: AdminAppOptions = {}): Promise<NestFastifyApplication> {
  // Proxies and timeouts are fixed when Fastify is created, before Nest reads configuration.
  const config = options.env ? AppConfig.fromEnv(options.env) : AppConfig.fromProcessEnv();
  const loggers = appLoggers(config, 'admin', options);
  const adapter = new FastifyAdapter({ ...httpServerOptions(config), ...requestLoggingOptions(loggers.requests), bodyLimit: 16 * 1024 });
  const app = await NestFactory.create<NestFastifyApplication>(AdminModule.forRoot(options), adapter, {
    logger: loggers.nest,
    abortOnError: false,
  });
  logRequests(app.getHttpAdapter().getInstance(), loggers.requests !== undefined ? config.logRequests : 'off');
  drainConnectionsOnClose(app.getHttpAdapter().getInstance());
  // helmet for the other headers; the CSP is ours, whole: helmet would merge its own defaults
  // (script-src 'self', …) into any policy it builds.
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
  });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      void reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
      // A mailed link's token is in the URL of its landing page: no Referer of any kind leaves it.
      if (LINK_LANDING_PATHS.includes(request.url.split('?')[0])) void reply.header('Referrer-Policy', 'no-referrer');
      done();
    });
  await app.register(fastifyCookie);
  // CSRF: DashboardSessionGuard checks every POST against this browser's session (see csrf.ts).

  const handlebars = Handlebars.create();
  handlebars.registerHelper('eq', (left: unknown, right: unknown) => left === right);
  // `{{scriptVersion "passkeys"}}`: the script's content hash, for its long-cached URL.
  const scripts = dashboardScripts();
  handlebars.registerHelper('scriptVersion', (name: keyof typeof scripts) => scripts[name].version);
  const views = join(readPackageInfo().root, 'apps/admin/views');
  app.setViewEngine({
    engine: { handlebars },
    templates: views,
    layout: 'layout.hbs',
    options: { partials: Object.fromEntries(PARTIALS.map((name) => [name, `partials/${name}.hbs`])) },
  });

  app.useGlobalFilters(new DashboardExceptionFilter());
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
