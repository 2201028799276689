// Bench-only app: the API itself (built by the same createApiApp) with one route more,
// GET /me-twin, which answers GET /me's handler and response without the access-token check.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { AppConfig } from '@app/platform';
import { ApiModule } from '../../apps/api/src/api.module.js';
import { createApiApp } from '../../apps/api/src/create-api-app.js';
import { MeTwinController } from './me-twin.controller.js';

@Module({ controllers: [MeTwinController] })
class MeTwinModule {}

// As bench/database-guard/main.ts: the module is appended to ApiModule's imports in this
// process only, so everything else is exactly as main.ts builds it.
const composeApi = ApiModule.forRoot.bind(ApiModule);
ApiModule.forRoot = (options) => {
  const api = composeApi(options);
  return { ...api, imports: [...(api.imports ?? []), MeTwinModule] };
};

const app = await createApiApp();
const config = app.get(AppConfig);
await app.listen(config.port, config.host);
