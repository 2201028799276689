import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiApp } from './create-api-app.js';
import { serializeApiDocument } from './openapi/api-document.js';

/**
 * `npm run openapi`: writes docs/openapi.json from the code, as the API serves it at
 * /openapi.json. The app runs on a throwaway SQLite file with a fixed, PUBLIC_URL-free
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
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    if (response.statusCode !== 200) throw new Error(`GET /openapi.json answered ${response.statusCode}`);
    writeFileSync(target, serializeApiDocument(JSON.parse(response.body)));
    console.log(`Wrote ${target}`);
  } finally {
    await app.close();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
