import 'reflect-metadata';
import { AppConfig } from '@app/platform';
import { createAdminApp } from './create-admin-app.js';

const app = await createAdminApp();
const config = app.get(AppConfig);
await app.listen(config.adminPort, config.host);
