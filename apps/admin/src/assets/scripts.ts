import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readPackageInfo } from '@app/platform';

/** A script the dashboard serves from its own origin (CSP `script-src 'self'`), read once at start. */
export interface Script {
  readonly body: string;
  /** The first hex digits of its SHA-256: in its URL's query, so a long cache never serves an old copy. */
  readonly version: string;
}

function script(path: string): Script {
  const body = readFileSync(path, 'utf8');
  return { body, version: createHash('sha256').update(body).digest('hex').slice(0, 16) };
}

/** @simplewebauthn/browser's UMD bundle (the global `SimpleWebAuthnBrowser`), beside its package's CommonJS entry. */
function simpleWebAuthnBundle(): string {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return join(dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js');
}

let loaded: { readonly webauthn: Script; readonly passkeys: Script } | undefined;

/** The two scripts of the passkey pages: the library, then ours (apps/admin/public/passkeys.js). */
export function dashboardScripts(): { readonly webauthn: Script; readonly passkeys: Script } {
  return (loaded ??= {
    webauthn: script(simpleWebAuthnBundle()),
    passkeys: script(join(readPackageInfo().root, 'apps/admin/public/passkeys.js')),
  });
}
