import 'reflect-metadata';
import { AppConfig } from '@app/platform';
import { createApiApp } from './create-api-app.js';

const app = await createApiApp();
const config = app.get(AppConfig);
await app.listen(config.port, config.host);
