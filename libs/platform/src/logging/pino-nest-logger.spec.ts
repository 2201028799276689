import pino from 'pino';
import { PinoNestLogger } from './pino-nest-logger.js';

function capture(level = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level, base: null, timestamp: false }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { nest: new PinoNestLogger(logger), lines };
}

describe('PinoNestLogger', () => {
  it('writes Nest’s log calls as pino lines with their context', () => {
    const { nest, lines } = capture();
    nest.log('Nest application successfully started', 'NestApplication');
    nest.warn('Could not sync revocations: database unreachable', 'RevocationSyncService');
    expect(lines).toEqual([
      { level: 30, context: 'NestApplication', msg: 'Nest application successfully started' },
      { level: 40, context: 'RevocationSyncService', msg: 'Could not sync revocations: database unreachable' },
    ]);
  });

  it('keeps an error’s stack as a field, apart from the message', () => {
    const { nest, lines } = capture();
    const stack = 'Error: boom\n    at somewhere (file.js:1:1)';
    nest.error('boom', stack, 'ExceptionHandler');
    expect(lines).toEqual([{ level: 50, context: 'ExceptionHandler', stack, msg: 'boom' }]);
  });

  it('keeps the per-module and per-route start-up lines at debug, out of the default log', () => {
    const quiet = capture('info');
    quiet.nest.log('Mapped {/me, GET} route', 'RouterExplorer');
    quiet.nest.log('AuthModule dependencies initialized', 'InstanceLoader');
    expect(quiet.lines).toEqual([]);
    const verbose = capture('debug');
    verbose.nest.log('Mapped {/me, GET} route', 'RouterExplorer');
    expect(verbose.lines).toEqual([{ level: 20, context: 'RouterExplorer', msg: 'Mapped {/me, GET} route' }]);
  });
});
