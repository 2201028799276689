// `npm run migration:run`: applies pending migrations to DATABASE_URL and exits.
import 'reflect-metadata';
import { AppConfig } from '@app/platform';
import { createDataSource } from './data-source.js';

const config = AppConfig.fromProcessEnv();
const dataSource = await createDataSource(config).initialize();
const applied = await dataSource.runMigrations({ transaction: 'each' });
console.log(applied.length === 0 ? 'Schema is up to date.' : `Applied: ${applied.map((m) => m.name).join(', ')}`);
await dataSource.destroy();
