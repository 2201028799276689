import { FEATURES } from '@app/features';
import { KeyRing, SigningKeys, StaticKeyConfigured, type KeyListing } from '@app/keys';
import { openDataSource, SecurityEventRepository, SigningKeyRepository } from '@app/persistence';
import { Clock } from '@app/platform';
import { SecurityEventRecorder } from '@app/security-events';
import { readConfig } from '../read-config.js';

const USAGE = 'Usage: npm run keys -- list | rotate | revoke <kid>';

/**
 * `npm run keys -- list | rotate | revoke <kid>` (API.md § Signing keys and their rotation):
 * shell access only, like the operator command. `rotate` makes the next key sign as soon as
 * verifiers can have it (JWKS_MAX_AGE plus a minute after it was published); `revoke` is the
 * emergency: every API process refuses the key's tokens within the revocation spread, and its
 * clients get tokens of the next key on their next refresh. Both are recorded as security
 * events.
 */
export async function keysCommand(args: readonly string[]): Promise<number> {
  const [action, kid, ...rest] = args;
  const valid =
    action === 'list' || action === 'rotate' ? kid === undefined : action === 'revoke' && kid !== undefined && rest.length === 0;
  if (!valid) {
    console.error(USAGE);
    return 2;
  }
  try {
    const config = readConfig();
    if (!config) return 1;
    const dataSource = await openDataSource(config, FEATURES);
    try {
      if (await dataSource.showMigrations()) {
        console.error('The database schema is not up to date (MIGRATIONS_RUN=false): run `npm run migration:run` first. Nothing changed.');
        return 1;
      }
      const clock = new Clock();
      const ring = new KeyRing(config);
      const keys = new SigningKeys(
        new SigningKeyRepository(dataSource),
        ring,
        new SecurityEventRecorder(clock, new SecurityEventRepository(dataSource)),
        clock,
      );
      if (!ring.managed) throw new StaticKeyConfigured();
      await keys.sync();
      if (action === 'list') {
        printKeys(await keys.list());
      } else if (action === 'rotate') {
        const next = await keys.rotate('operator');
        console.log(
          `Key ${next.kid} signs from ${new Date(next.activatesAt).toISOString()} (security event signing_key_rotated recorded).`,
        );
        printKeys(await keys.list());
      } else if (!(await keys.revoke(kid as string, 'operator'))) {
        console.error(`No live key has kid ${kid} (see \`npm run keys -- list\`). Nothing changed.`);
        return 1;
      } else {
        console.log(
          `Revoked ${kid} (security event signing_key_revoked recorded): every API process refuses its tokens within the revocation spread; clients recover by refreshing.`,
        );
        printKeys(await keys.list());
      }
      return 0;
    } finally {
      await dataSource.destroy();
    }
  } catch (error) {
    console.error(`keys: failed, nothing changed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

function printKeys(keys: readonly KeyListing[]): void {
  const time = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());
  console.log(['kid', 'state', 'alg', 'created', 'activates', 'retires/revoked'].join('\t'));
  for (const key of keys) {
    const end = key.revokedAt ?? key.status.unpublishedAt;
    const state = key.status.state === 'retired' && !key.status.published ? 'retired (unpublished)' : key.status.state;
    console.log([key.kid, state, key.algorithm, time(key.createdAt), time(key.activatesAt), time(end)].join('\t'));
  }
}
