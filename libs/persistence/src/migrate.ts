// `npm run migration:run`: applies pending migrations to DATABASE_URL and exits.
import 'reflect-metadata';
import { AppConfig } from '@app/platform';
import { createDataSource, runMigrations } from './data-source.js';

const config = AppConfig.fromProcessEnv();
const dataSource = await createDataSource(config).initialize();
const applied = await runMigrations(dataSource);
console.log(applied.length === 0 ? 'Schema is up to date.' : `Applied: ${applied.join(', ')}`);
await dataSource.destroy();
