import { Logger, type INestApplication } from '@nestjs/common';
import { AppConfig, ConfigurationError } from '../config/app-config.js';
import { flushLogsSync } from '../logging/app-logger.js';

const logger = new Logger('Lifecycle');

/**
 * What each app's main.ts does: build the app, listen, and keep shutdown bounded.
 * - A configuration error prints its problems (one per line, each naming its variable) to
 *   stderr and exits 1: no stack trace, no framework banner around them.
 * - Any other failure to start (database unreachable, port taken) is logged once and exits 1.
 * - On SIGTERM/SIGINT the app drains (enableShutdownHooks in create-*-app); if that takes
 *   longer than SHUTDOWN_TIMEOUT (a request that never ends, a hung pool), the process exits 1
 *   anyway, so an orchestrator's stop is never stuck.
 * - An uncaught exception (or unhandled rejection) is logged at fatal with its stack, the
 *   buffered log lines are written out, and the process exits 1: the app's state is unknown.
 * Every exit (process.exit: after draining, on the timeout, on a fatal error) writes out the
 * buffered log lines first (flushLogsSync on process 'exit').
 */
export async function serveApp<App extends INestApplication>(
  create: () => Promise<App>,
  portOf: (config: AppConfig) => number,
): Promise<App> {
  process.on('uncaughtException', exitOnFatalError);
  let app: App;
  try {
    app = await create();
  } catch (error) {
    return failToStart(error);
  }
  const config = app.get(AppConfig);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal}: no new connections; finishing the requests under way, then exiting`);
      setTimeout(() => {
        logger.error(`Shutdown took longer than SHUTDOWN_TIMEOUT (${config.shutdownTimeout}s): exiting without finishing it`);
        process.exit(1);
      }, config.shutdownTimeout * 1000).unref();
    });
  }
  try {
    await app.listen(portOf(config), config.host);
  } catch (error) {
    return failToStart(error);
  }
  return app;
}

function exitOnFatalError(error: unknown, origin: NodeJS.UncaughtExceptionOrigin): never {
  try {
    const what = origin === 'unhandledRejection' ? 'Unhandled rejection' : 'Uncaught exception';
    if (error instanceof Error) logger.fatal(`${what}: ${error.message}`, error.stack ?? '');
    else logger.fatal(`${what}: ${String(error)}`);
  } finally {
    flushLogsSync();
    process.exit(1);
  }
}

function failToStart(error: unknown): never {
  if (error instanceof ConfigurationError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    logger.fatal(`Could not start: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exit(1);
}
