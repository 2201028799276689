import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '@app/platform';
import { createApiApp } from './create-api-app.js';
import { createProductApiDocument, serializeApiDocument } from './openapi/api-document.js';

/**
 * `npm run openapi`: writes docs/openapi.json from the code, as the API serves it at
 * /openapi.json without the routes of added feature modules (libs/features). The app runs on a throwaway SQLite file with a fixed, PUBLIC_URL-free
 * configuration (the environment is not read), so the output depends on the code alone.
 */
const target = process.argv[2] ?? 'docs/openapi.json';
const dataDir = mkdtempSync(join(tmpdir(), 'openapi-'));
try {
  const app = await createApiApp({
    env: { DATABASE_URL: `sqlite:${join(dataDir, 'openapi.sqlite')}`, JWT_SECRET: randomBytes(32).toString('base64url'), API_DOCS: 'true' },
    logger: ['error', 'warn'],
  });
  try {
    writeFileSync(target, serializeApiDocument(createProductApiDocument(app, app.get(AppConfig))));
    console.log(`Wrote ${target}`);
  } finally {
    await app.close();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
