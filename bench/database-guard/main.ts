// Bench-only app: the session-lookup design. It is the API itself, built by the same
// createApiApp (Fastify adapter, helmet, parsers, pipes, filters, the same access-token guard
// and GET /me), with one module more: DeviceLookupModule, whose global guard SELECTs the
// device row on every guarded request. So the two apps differ by that query alone.
import 'reflect-metadata';
import { AppConfig } from '@app/platform';
import { ApiModule } from '../../apps/api/src/api.module.js';
import { createApiApp } from '../../apps/api/src/create-api-app.js';
import { DeviceLookupModule } from './device-lookup.module.js';

// createApiApp composes ApiModule.forRoot(); appending the module there (in this process only)
// keeps everything else exactly as main.ts builds it, today and after apps/api changes.
const composeApi = ApiModule.forRoot.bind(ApiModule);
ApiModule.forRoot = (options) => {
  const api = composeApi(options);
  return { ...api, imports: [...(api.imports ?? []), DeviceLookupModule] };
};

const app = await createApiApp();
const config = app.get(AppConfig);
await app.listen(config.port, config.host);
