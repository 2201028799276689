import { FEATURES } from '@app/features';
import { createDataSource, runMigrations } from '@app/persistence';
import { readConfig } from '../read-config.js';

/** `npm run migration:run`: applies pending migrations to DATABASE_URL. */
export async function runMigrationsCommand(): Promise<number> {
  const config = readConfig();
  if (!config) return 1;
  const dataSource = await createDataSource(config, FEATURES).initialize();
  try {
    const applied = await runMigrations(dataSource);
    console.log(applied.length === 0 ? 'Schema is up to date.' : `Applied: ${applied.join(', ')}`);
    return 0;
  } finally {
    await dataSource.destroy();
  }
}
