import pino, { type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { AppConfig } from '../config/app-config.js';
import { REDACTED_PATHS } from './log-redaction.js';

/**
 * The process's one pino logger: Fastify writes the request lines through it and Nest's own
 * logs are routed into it (PinoNestLogger), so both come out in one format.
 * - `json` (production): one object a line, ISO time, level by name, `app` naming the process.
 * - `pretty` (development): pino-pretty's text, coloured only on a terminal, so that no escape
 *   codes end up in a file the output is redirected to.
 * Writes are synchronous (pino's default destination): a line logged just before exit is not
 * lost in a buffer, and a log line costs a few microseconds.
 */
export function createAppLogger(config: AppConfig, app: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { app, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  if (config.logFormat === 'pretty') {
    return pino(
      options,
      pinoPretty({
        colorize: process.stdout.isTTY === true,
        sync: true,
        singleLine: true,
        ignore: 'pid,hostname,app,context',
        messageFormat: '{if context}[{context}] {end}{msg}',
        translateTime: 'SYS:HH:MM:ss.l',
      }),
    );
  }
  return pino(options, pino.destination({ dest: 1, sync: true }));
}
