import 'reflect-metadata';
import { serveApp } from '@app/platform';
import { createApiApp } from './create-api-app.js';

await serveApp(
  () => createApiApp(),
  (config) => config.port,
);
