import type { AppConfig } from '@app/platform';
import { RevocationSet } from './revocation-set.js';

describe('RevocationSet', () => {
  const set = () => new RevocationSet({ accessTokenTtl: 900 } as AppConfig);

  it('holds a revoked device until every access token it had has expired', () => {
    const revocations = set();
    revocations.add('device-a', 1_000);
    revocations.prune(1_000 + revocations.retentionMs);
    expect(revocations.has('device-a')).toBe(true);
    revocations.prune(1_000 + revocations.retentionMs + 1);
    expect(revocations.has('device-a')).toBe(false);
    expect(revocations.size).toBe(0);
  });

  it('keeps a retention longer than the access-token lifetime', () => {
    expect(set().retentionMs).toBeGreaterThan(900_000);
  });

  it('does not report devices that were never revoked', () => {
    const revocations = set();
    revocations.add('device-a', 1_000);
    expect(revocations.has('device-b')).toBe(false);
  });

  it('tells its listeners of each device new to the set, once, until they unsubscribe', () => {
    const revocations = set();
    const heard: number[] = [];
    const unsubscribe = revocations.onAdded(() => heard.push(revocations.size));
    revocations.add('device-a', 1_000);
    revocations.add('device-a', 1_000);
    revocations.add('device-b', 2_000);
    unsubscribe();
    revocations.add('device-c', 3_000);
    expect(heard).toEqual([1, 2]);
  });
});
