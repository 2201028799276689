// `npm run migration:run`: applies pending migrations to DATABASE_URL and exits.
import 'reflect-metadata';
import { AppConfig, ConfigurationError } from '@app/platform';
import { createDataSource, runMigrations } from './data-source.js';

let config: AppConfig;
try {
  config = AppConfig.fromProcessEnv();
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  // As the apps do: the named problems alone, no stack trace.
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
const dataSource = await createDataSource(config).initialize();
const applied = await runMigrations(dataSource);
console.log(applied.length === 0 ? 'Schema is up to date.' : `Applied: ${applied.join(', ')}`);
await dataSource.destroy();
