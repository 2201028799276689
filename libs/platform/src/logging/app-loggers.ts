import type { LoggerService, LogLevel } from '@nestjs/common';
import type { DestinationStream, Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { createAppLogger } from './app-logger.js';
import { PinoNestLogger } from './pino-nest-logger.js';

export interface LoggingOptions {
  /**
   * Nest's own logs: levels, `false` for none, or a LoggerService that receives them (tests
   * capture logs). Unset: into the app's pino logger, like the request lines.
   */
  readonly logger?: LoggerService | LogLevel[] | false;
  /** Where the pino lines (requests, and Nest's unless `logger` is set) go as JSON; unset: stdout, or none with `logger` set. */
  readonly logDestination?: DestinationStream;
}

export interface AppLoggers {
  /** The request and server logger (Fastify's); undefined: requests are not logged. */
  readonly requests: Logger | undefined;
  /** What Nest gets as its `logger` option. */
  readonly nest: LoggerService | LogLevel[] | false;
}

/**
 * How an app logs, from configuration and the test options: in production one pino logger
 * carries both Nest's lines and the request lines; tests keep Nest's logs quiet (`false`) or
 * capture them, and read the request lines from `logDestination`.
 */
export function appLoggers(config: AppConfig, app: string, options: LoggingOptions): AppLoggers {
  const pino =
    options.logDestination !== undefined || options.logger === undefined ? createAppLogger(config, app, options.logDestination) : undefined;
  return { requests: pino, nest: options.logger ?? new PinoNestLogger(pino!) };
}
