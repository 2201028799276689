import helmet from 'helmet';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyHttpOptions, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { parse as parseQueryString } from 'node:querystring';
import { FORM_CONTENT_TYPE } from '@app/auth';
import {
  AppConfig,
  appLoggers,
  ConfigurationError,
  createValidationPipe,
  drainConnectionsOnClose,
  httpServerOptions,
  logRequests,
  measureRequests,
  MetricsRegistry,
  ProblemDetailsFilter,
  REQUEST_ID_HEADER,
  requestLoggingOptions,
  type LoggingOptions,
  type PlatformOptions,
} from '@app/platform';
import { ApiModule } from './api.module.js';
import { serveApiDocs } from './openapi/serve-api-docs.js';

/** API.md: bodies over 16 KiB are rejected (413). */
const BODY_LIMIT = 16 * 1024;

/**
 * No request of ours nests deeper than a few levels. A 16 KiB body can nest ~8000 levels, which
 * overflows class-transformer's recursive walk (RangeError → 500) before validation can
 * refuse it, so depth is checked right after parsing.
 */
const MAX_JSON_DEPTH = 32;

/** A lone UTF-16 surrogate (with the u flag, a valid pair is one code point and does not match). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Keys no request of ours has. A nested `{"constructor": true}` makes class-transformer throw
 * (TypeError → 500), and at the top level the validator takes it for an inherited member and
 * lets it through, unknown as it is; `__proto__` in a form body slips by the same way.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor']);

/** Only the OAuth endpoints take form bodies, and answer errors as RFC 6749. */
const OAUTH_ROUTES = new Set(['/auth/refresh', '/auth/revoke']);

/**
 * Builds the API application exactly as it runs: main.ts and the e2e tests both call this,
 * so tests exercise the real adapter, parsers, pipes and filters.
 */
export interface ApiAppOptions extends PlatformOptions, LoggingOptions {}

/**
 * Security headers for a JSON API: nothing it serves is meant to be rendered, framed or run
 * by a browser, so the CSP allows nothing at all. Helmet's defaults add nosniff, HSTS,
 * Referrer-Policy: no-referrer and the cross-origin isolation headers, and remove X-Powered-By.
 */
const SECURITY_HEADERS = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  frameguard: { action: 'deny' },
} as const;

/**
 * helmet's headers for SECURITY_HEADERS, worked out once: they do not depend on the request,
 * and @fastify/helmet re-ran helmet's eleven middlewares on every request, ~10% of the CPU of a
 * guarded request (BENCHMARKS.md, figure 1). helmet stays the one that decides the headers.
 */
function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  helmet(SECURITY_HEADERS)({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  return headers;
}

export async function createApiApp(options: ApiAppOptions = {}): Promise<NestFastifyApplication> {
  // The server's own options (proxies, timeouts) are fixed when Fastify is created, before
  // Nest's configuration module runs: read the same configuration here (a bad value stops the
  // start with the same message).
  const config = options.env ? AppConfig.fromEnv(options.env) : AppConfig.fromProcessEnv();
  // API.md § Device-bound tokens: without PUBLIC_URL a proof's `htu` is checked against the
  // request's own Host header, which the client chooses; a proof made for another service would
  // pass when sent with that service's Host. Fine on a laptop, not in production.
  if (config.production && config.publicUrl === null) {
    throw new ConfigurationError([
      "PUBLIC_URL: required in production (the API's external base URL, e.g. https://auth.example.com: DPoP proofs are checked against it)",
    ]);
  }
  const loggers = appLoggers(config, 'api', options);
  const serverOptions: FastifyHttpOptions<Server> = {
    ...httpServerOptions(config),
    ...requestLoggingOptions(loggers.requests),
    bodyLimit: BODY_LIMIT,
    // Errors raised before Nest sees the request (an undecodable URL, an over-long path
    // parameter, a malformed or oversized request head) answer problem+json too, and do not
    // echo the client's input back as Fastify's defaults do.
    frameworkErrors: answerUnroutableRequest,
    clientErrorHandler: answerMalformedRequest,
  };
  const adapter = new FastifyAdapter(serverOptions);
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(options), adapter, {
    logger: loggers.nest,
    // A failed start is thrown to main.ts (which logs it and exits 1), not answered by
    // process.abort() and a core dump.
    abortOnError: false,
    // Fastify's own JSON parser stays; forms get the parser below instead of Nest's.
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // What JwtAuthGuard sets on every guarded request, declared so that every request object has
  // one shape from its construction (Fastify's advice) instead of gaining two properties late.
  fastify.decorateRequest('user', null);
  fastify.decorateRequest('actor', null);
  logRequests(fastify, loggers.requests !== undefined ? config.logRequests : 'off');
  measureRequests(fastify, app.get(MetricsRegistry));
  drainConnectionsOnClose(fastify);
  // An onRequest hook: error answers (404, 413, 415, 401) get the headers too.
  const headers = securityHeaders();
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
  // API.md: /openapi.json and /docs, unless API_DOCS=false (off in production by default).
  if (config.apiDocs) serveApiDocs(app, config);
  // API.md § Endpoints: browser apps on CORS_ORIGINS (exact origins) may call the API; tokens
  // travel in headers, never cookies, so credentials are never allowed. Other origins get no
  // CORS headers (@fastify/cors answers only the listed ones).
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: [...config.corsOrigins],
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'DPoP', 'Content-Type', 'X-Request-Id'],
      exposedHeaders: ['DPoP-Nonce', 'WWW-Authenticate', 'Retry-After', 'X-Request-Id'],
      credentials: false,
      maxAge: 600,
    });
  }

  // JSON everywhere; forms only where OAuth clients send them; no text/plain bodies.
  fastify.removeContentTypeParser(['application/json', 'text/plain', FORM_CONTENT_TYPE]);
  // Fastify's own parser (which refuses __proto__ and constructor.prototype keys), plus the
  // checks in isReadableBody; a refusal is a 400 like any unparsable body.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // Synchronous: it answers through the callback (the type also allows a promise-style parser).
    // API.md: an endpoint that takes no body accepts an empty one whatever its Content-Type
    // (client wrappers send application/json on every request); one that needs a body then
    // fails validation with a 400 as for `{}`.
    if ((body as string).trim() === '') {
      done(null, undefined);
      return;
    }
    void parseJson(request, body as string, (error, value) => {
      if (error || isReadableBody(value)) done(error ?? null, value);
      else done(unreadableBody(), undefined);
    });
  });
  fastify.addContentTypeParser(FORM_CONTENT_TYPE, { parseAs: 'string' }, (request, body, done) => {
    if (!OAUTH_ROUTES.has(request.url.split('?')[0])) {
      done(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }), undefined);
      return;
    }
    const fields = { ...parseQueryString(body as string) };
    if (isReadableBody(fields)) done(null, fields);
    else done(unreadableBody(), undefined);
  });

  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter(app.get(HttpAdapterHost), OAUTH_ROUTES));
  // On SIGTERM: stop accepting, finish in-flight requests, run the shutdown hooks (last-seen
  // flush, pools), then exit 0 through process.exit so that the log is flushed (serveApp bounds it).
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.init();
  await fastify.ready();
  return app;
}

/**
 * True when a parsed body is at most MAX_JSON_DEPTH deep, has none of FORBIDDEN_KEYS, and
 * every string in it (keys too) is well-formed Unicode. JSON may carry lone surrogates
 * ("\ud800"), which validator.js's isEmail answers with a URIError (→ 500) and a database
 * would store as U+FFFD. Iterative, so that checking the depth cannot overflow the stack.
 */
function isReadableBody(root: unknown): boolean {
  const pending: Array<[unknown, number]> = [[root, 0]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return false;
    } else if (typeof value === 'object' && value !== null) {
      if (depth >= MAX_JSON_DEPTH) return false;
      for (const [key, child] of Object.entries(value)) {
        if (FORBIDDEN_KEYS.has(key) || LONE_SURROGATE.test(key)) return false;
        pending.push([child, depth + 1]);
      }
    }
  }
  return true;
}

function unreadableBody(): Error {
  return Object.assign(new Error('Unreadable request body'), { statusCode: 400 });
}

/** For answers written before helmet's hook runs: the same essentials as SECURITY_HEADERS. */
const PROBLEM_HEADERS = {
  'Content-Type': 'application/problem+json; charset=utf-8',
  'Content-Security-Policy': "default-src 'none';frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
} as const;

function problemBody(status: number, detail: string): string {
  return JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status], status, detail });
}

/** Fastify's router refused the URL (undecodable, or a path parameter over 100 characters). */
function answerUnroutableRequest(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode === 414 ? 414 : 400;
  void reply
    .code(status)
    .headers({ ...PROBLEM_HEADERS, [REQUEST_ID_HEADER]: request.id })
    .send(problemBody(status, 'The request URL could not be read.'));
}

/**
 * Node's HTTP parser refused the request (a malformed request line or header, headers over
 * 16 KiB, a timeout): there is no request object, so the answer is written to the socket.
 * Same behaviour as Fastify's default handler, with a problem+json body.
 */
function answerMalformedRequest(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request headers are larger than allowed.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request took too long to arrive.']
        : [400, 'The request could not be read.'];
  const body = problemBody(status, detail);
  if (socket.writable) {
    const headers = Object.entries(PROBLEM_HEADERS)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    // No request object, so no id from the client's header either: a new one, as API.md asks.
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${headers}X-Request-Id: ${randomUUID()}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
