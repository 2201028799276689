import type { Feature } from '@app/persistence';
import * as registered from './registered.js';

/**
 * Every feature registered in registered.ts. The API imports their modules; every app's data
 * source (API, dashboard, `npm run migration:run`) adds their entities and migrations; the
 * contract tests (docs/API.md, docs/openapi.json) cover every route but theirs.
 */
export const FEATURES: readonly Feature[] = Object.values(registered satisfies Record<string, Feature>);
