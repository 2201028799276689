import { FEATURES } from '@app/features';
import { openDataSource } from '@app/persistence';
import { readConfig } from '../read-config.js';
import { parseOperatorArguments, runOperatorCommand } from './operator-command.js';

/**
 * `npm run operator -- grant <email>` / `npm run operator -- revoke <email>`: the only way to
 * give or take the dashboard's operator role. Applies pending migrations first, like every app
 * start (with MIGRATIONS_RUN=false it refuses to run on an outdated schema instead).
 */
export async function operatorCommand(args: readonly string[]): Promise<number> {
  const parsed = parseOperatorArguments(args);
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
      const result = await runOperatorCommand(dataSource, parsed.change, parsed.email, Date.now());
      (result.exitCode === 0 ? console.log : console.error)(result.message);
      return result.exitCode;
    } finally {
      await dataSource.destroy();
    }
  } catch (error) {
    console.error(`operator: failed, nothing changed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
