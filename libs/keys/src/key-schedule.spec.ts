import fc from 'fast-check';
import { currentKey, keyStatus, keyToAdd, nextKey, type ScheduledKey, type ScheduleSettings } from './key-schedule.js';

const S = 1000;
const settings: ScheduleSettings = { retentionMs: 20 * S, leadMs: 61 * S, rotationMs: 3600 * S };
const key = (generation: number, activatesAt: number, fields: Partial<ScheduledKey> = {}): ScheduledKey => ({
  kid: `k${generation}`,
  generation,
  createdAt: 0,
  activatesAt,
  revokedAt: null,
  ...fields,
});

describe('key schedule', () => {
  it('starts with a key signing at once, then schedules its successor one rotation later', () => {
    expect(keyToAdd([], 5 * S, settings)).toEqual({ generation: 1, activatesAt: 5 * S });
    expect(keyToAdd([key(1, 5 * S)], 5 * S, settings)).toEqual({ generation: 2, activatesAt: 5 * S + 3600 * S });
    expect(keyToAdd([key(1, 5 * S), key(2, 3605 * S)], 6 * S, settings)).toBeNull();
  });

  it('adds the key after next once the next one signs within JWKS_MAX_AGE plus the margin', () => {
    const keys = [key(1, 0), key(2, 3600 * S)];
    expect(keyToAdd(keys, 3600 * S - 62 * S, settings)).toBeNull();
    expect(keyToAdd(keys, 3600 * S - 61 * S, settings)).toEqual({ generation: 3, activatesAt: 7200 * S });
  });

  it('never schedules a key sooner than the lead from now (after a long stop), nor on revoked keys', () => {
    expect(keyToAdd([key(1, 0), key(2, 10 * S)], 100_000 * S, settings)).toEqual({ generation: 3, activatesAt: 100_061 * S });
    // Every key revoked: one signs at once, whatever generation came last.
    expect(keyToAdd([key(1, 0, { revokedAt: 5 * S }), key(2, 9 * S, { revokedAt: 5 * S })], 6 * S, settings)).toEqual({
      generation: 3,
      activatesAt: 6 * S,
    });
  });

  it('signs with the latest generation activated and not revoked; the next is the earliest still to come', () => {
    const keys = [key(1, 0), key(2, 100 * S), key(3, 200 * S)];
    expect(currentKey(keys, 50 * S)?.kid).toBe('k1');
    expect(currentKey(keys, 100 * S)?.kid).toBe('k2');
    expect(nextKey(keys, 100 * S)?.kid).toBe('k3');
    expect(currentKey([key(1, 0), key(2, 100 * S, { revokedAt: 150 * S })], 160 * S)?.kid).toBe('k1');
    expect(currentKey([], 0)).toBeNull();
  });

  it('retires a key when a later one signs, published until its last token has expired', () => {
    const keys = [key(1, 0), key(2, 100 * S)];
    expect(keyStatus(keys[0]!, keys, 50 * S, settings)).toEqual({
      state: 'current',
      supersededAt: null,
      unpublishedAt: null,
      published: true,
    });
    expect(keyStatus(keys[1]!, keys, 50 * S, settings)).toMatchObject({ state: 'next', published: true });
    expect(keyStatus(keys[0]!, keys, 110 * S, settings)).toEqual({
      state: 'retired',
      supersededAt: 100 * S,
      unpublishedAt: 120 * S,
      published: true,
    });
    expect(keyStatus(keys[0]!, keys, 120 * S, settings)).toMatchObject({ state: 'retired', published: false });
    expect(keyStatus(key(3, 0, { revokedAt: 5 * S }), keys, 10 * S, settings)).toMatchObject({ state: 'revoked', published: false });
  });

  it('a key revoked before it ever signed does not retire the current one', () => {
    const keys = [key(1, 0), key(2, 100 * S, { revokedAt: 50 * S })];
    expect(keyStatus(keys[0]!, keys, 200 * S, settings).state).toBe('current');
  });

  it('at any moment exactly one key signs, and every key that signed within the retention is published', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 5000 }), revoked: fc.option(fc.integer({ min: 0, max: 20_000 })) }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: 0, max: 20_000 }),
        (specs, nowS) => {
          let at = 0;
          const keys = specs.map((spec, index) => {
            if (index > 0) at += spec.gap;
            return key(index + 1, at * S, { revokedAt: spec.revoked === null ? null : spec.revoked * S });
          });
          const now = nowS * S;
          const current = currentKey(keys, now);
          const states = keys.map((candidate) => keyStatus(candidate, keys, now, settings));
          expect(states.filter((status) => status.state === 'current')).toHaveLength(current === null ? 0 : 1);
          if (current) expect(states[keys.indexOf(current)]!.published).toBe(true);
          keys.forEach((candidate, index) => {
            const status = states[index]!;
            if (status.state === 'retired' && now < (status.supersededAt as number) + settings.retentionMs)
              expect(status.published).toBe(true);
          });
        },
      ),
    );
  });
});
