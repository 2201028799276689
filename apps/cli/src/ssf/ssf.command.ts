import { FEATURES } from '@app/features';
import { openDataSource } from '@app/persistence';
import { readConfig } from '../read-config.js';
import { parseSsfArguments, runSsfCommand } from './ssf-command.js';

/**
 * `npm run ssf -- add-receiver <name> <audience>` / `remove-receiver <name>` / `list-receivers`:
 * the only way to register or withdraw a Shared Signals receiver. Applies pending migrations
 * first, like every app start (with MIGRATIONS_RUN=false it refuses an outdated schema instead).
 */
export async function ssfCommand(args: readonly string[]): Promise<number> {
  const parsed = parseSsfArguments(args);
  if ('problem' in parsed) {
    console.error(parsed.problem);
    return 2;
  }
  try {
    const config = readConfig();
    if (!config) return 1;
    const dataSource = await openDataSource(config, FEATURES);
    try {
      if (await dataSource.showMigrations()) {
        console.error('The database schema is not up to date (MIGRATIONS_RUN=false): run `npm run migration:run` first. Nothing changed.');
        return 1;
      }
      const result = await runSsfCommand(dataSource, parsed, Date.now());
      (result.exitCode === 0 ? console.log : console.error)(result.message);
      return result.exitCode;
    } finally {
      await dataSource.destroy();
    }
  } catch (error) {
    console.error(`ssf: failed, nothing changed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
