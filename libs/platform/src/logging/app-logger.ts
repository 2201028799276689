import pino, { type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { AppConfig } from '../config/app-config.js';
import { BufferedLogDestination } from './buffered-log-destination.js';
import { REDACTED_PATHS } from './log-redaction.js';

/**
 * The process's one pino logger: Fastify writes the request lines through it and Nest's own
 * logs are routed into it (PinoNestLogger), so both come out in one format.
 * - `json` (production): one object a line, ISO time, level by name, `app` naming the process.
 * - `pretty` (development): pino-pretty's text, coloured only on a terminal, so that no escape
 *   codes end up in a file the output is redirected to.
 * In `json`, lines are buffered (logBuffer): one write per ~16 KiB instead of one per line. A
 * write to stdout read through a pipe by a log shipper cost ~20 µs a request line (BENCHMARKS.md,
 * figure 3); batched, a fraction of a microsecond a line.
 */
export function createAppLogger(config: AppConfig, app: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { app, pid: process.pid },
    timestamp: isoTimeByMillisecond,
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
  return pino(options, logBuffer());
}

/**
 * pino's isoTime (`,"time":"2026-12-05T12:00:00.000Z"`), formatted once per millisecond: under
 * load, many lines share a millisecond, and toISOString was ~1 µs of each request line.
 */
let lastMs = -1;
let lastTime = '';
function isoTimeByMillisecond(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

/** The log buffer: written out when the next line might not fit… */
export const LOG_BUFFER_BYTES = 16 * 1024;
/** …or after at most this long (ms), so that a quiet server's lines still reach the shipper. */
export const LOG_FLUSH_INTERVAL_MS = 250;

const buffers = new Set<BufferedLogDestination>();

/**
 * stdout with a buffer (BufferedLogDestination), written out when full, every
 * LOG_FLUSH_INTERVAL_MS, and at every exit (process 'exit': graceful shutdown's
 * process.exit(0), the timeout's and the fatal path's exit(1)); serveApp also flushes before
 * it exits on a fatal error, and pino flushes on every fatal line.
 */
function logBuffer(): BufferedLogDestination {
  const destination = new BufferedLogDestination(1, LOG_BUFFER_BYTES);
  if (buffers.size === 0) {
    process.on('exit', flushLogsSync);
    setInterval(flushLogsSync, LOG_FLUSH_INTERVAL_MS).unref();
  }
  buffers.add(destination);
  return destination;
}

/** Writes out every buffered log line now, synchronously: at exit, and before exiting on a fatal error. */
export function flushLogsSync(): void {
  for (const buffer of buffers) buffer.flushSync();
}
