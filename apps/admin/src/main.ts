import 'reflect-metadata';
import { serveApp } from '@app/platform';
import { createAdminApp } from './create-admin-app.js';

await serveApp(
  () => createAdminApp(),
  (config) => config.adminPort,
);
