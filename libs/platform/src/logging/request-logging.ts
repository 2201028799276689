// fastify itself: a dependency of @nestjs/platform-fastify (pinned there), which both apps run on.
import { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';
import { SLOW_REQUEST_MS, type RequestLogMode } from '../config/env-reader.js';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';

/** The label of the request id in every line Fastify logs for a request. */
const REQUEST_ID_LABEL = 'requestId';

/**
 * A request the device is known for: the API's guard puts the verified token's Actor on it, the
 * dashboard's guard its session's; the token endpoints tag the device they signed in or
 * refreshed (tagRequestDevice).
 */
interface DeviceTaggedRequest {
  actor?: { readonly deviceId?: string };
  taggedDeviceId?: string;
}

/** Names the device a request was for, for its log line (a sign-in, a refresh). */
export function tagRequestDevice(request: object, deviceId: string): void {
  (request as DeviceTaggedRequest).taggedDeviceId = deviceId;
}

/**
 * The Fastify options that give every request an id (the client's `X-Request-Id` if
 * well-formed, else a new UUID) and route the server's logs to `logger` (none: silent).
 * Fastify's two lines per request are off: requestLogging writes one, with the route.
 */
export function requestLoggingOptions(logger: FastifyBaseLogger | undefined) {
  return {
    ...(logger ? { loggerInstance: logger, childLoggerFactory: lazyRequestLogger } : {}),
    genReqId: requestIdOf,
    logController: new LogController({ requestIdLogLabel: REQUEST_ID_LABEL, disableRequestLogging: true }),
  };
}

/**
 * `request.log`, made only if something logs through it (a handler's error, a Fastify
 * warning): Fastify made a pino child for every request, whose bindings went through the
 * logger's key-based redaction, ~4 % of a guarded request's CPU (BENCHMARKS.md, figure 3),
 * for a logger hardly any request uses. The request line does not use it either (logRequests).
 */
function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyRequestLogger(logger, bindings, options);
}

class LazyRequestLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  fatal(...args: unknown[]): void {
    const logger = this.logger;
    Reflect.apply(logger.fatal, logger, args);
  }

  error(...args: unknown[]): void {
    const logger = this.logger;
    Reflect.apply(logger.error, logger, args);
  }

  warn(...args: unknown[]): void {
    const logger = this.logger;
    Reflect.apply(logger.warn, logger, args);
  }

  info(...args: unknown[]): void {
    const logger = this.logger;
    Reflect.apply(logger.info, logger, args);
  }

  debug(...args: unknown[]): void {
    const logger = this.logger;
    Reflect.apply(logger.debug, logger, args);
  }

  trace(...args: unknown[]): void {
    const logger = this.logger;
    Reflect.apply(logger.trace, logger, args);
  }

  silent(...args: unknown[]): void {
    const logger = this.logger;
    Reflect.apply(logger.silent, logger, args);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}

/**
 * Every response carries `X-Request-Id`, and (LOG_REQUESTS, `all` by default, with a logger)
 * every request ends in one line: its id, method, route template (`/devices/:id`: no ids, no
 * query string with whatever a client put in it), path, status, latency, client IP and device
 * when known. `errors`: only a status of 400 or more, or a request slower than
 * SLOW_REQUEST_MS; `off`: none. Headers and bodies are never logged, so neither are the
 * credentials in them.
 */
export function logRequests(fastify: FastifyInstance, mode: RequestLogMode): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  if (mode === 'off') return;
  const errorsOnly = mode === 'errors';
  // The lines are built from the fixed fields below, none of which can hold a credential, so
  // they skip the logger's key-based redaction: with its wildcard paths it cost ~10 µs a line,
  // more than the guard (BENCHMARKS.md, figure 3). Anything else logged keeps it. The log-leak
  // test reads these lines for every secret of the flows it runs.
  const lines = fastify.log.child({}, { redact: [] });
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const elapsed = reply.elapsedTime;
    if (errorsOnly && status < 400 && elapsed < SLOW_REQUEST_MS) {
      done();
      return;
    }
    const line = {
      [REQUEST_ID_LABEL]: request.id,
      method: request.method,
      route: request.routeOptions.url ?? null,
      path: pathOf(request),
      status,
      ms: Math.round(elapsed * 10) / 10,
      ip: request.ip,
      deviceId: deviceOf(request),
    };
    if (status >= 500) lines.error(line, 'request failed');
    else lines.info(line, 'request completed');
    done();
  });
}

function pathOf(request: FastifyRequest): string {
  const query = request.url.indexOf('?');
  return query === -1 ? request.url : request.url.slice(0, query);
}

function deviceOf(request: FastifyRequest): string | undefined {
  const tagged = request as unknown as DeviceTaggedRequest;
  return tagged.actor?.deviceId ?? tagged.taggedDeviceId;
}
