import { RateLimited } from '@app/platform';
import fc from 'fast-check';
import { DpopReplayCache } from './dpop-replay-cache.js';
import { DpopProofInvalid } from './dpop.errors.js';

const WINDOW_MS = 65_000;

function outcome(cache: DpopReplayCache, owner: string, key: string, now: number): 'ok' | 'replay' | 'limited' {
  try {
    cache.remember(owner, key, now);
    return 'ok';
  } catch (error) {
    if (error instanceof DpopProofInvalid) return 'replay';
    if (error instanceof RateLimited) return 'limited';
    throw error;
  }
}

describe('DpopReplayCache', () => {
  it('refuses a proof seen within the window, and accepts it again after', () => {
    const cache = new DpopReplayCache(1600, WINDOW_MS);
    cache.remember('key-a', 'a:1', 0);
    expect(() => cache.remember('key-a', 'a:1', 64_999)).toThrow(DpopProofInvalid);
    // A replay is a replay whoever sends it.
    expect(() => cache.remember('key-b', 'a:1', 1)).toThrow(DpopProofInvalid);
    expect(outcome(cache, 'key-a', 'a:1', 65_000)).toBe('ok');
  });

  it('gives one owner at most a sixteenth of the cache: past it 429 until its oldest proof expires, while other owners go on', () => {
    const cache = new DpopReplayCache(160, WINDOW_MS);
    expect(cache.shareOfOwner).toBe(10);
    for (let i = 0; i < 10; i++) cache.remember('flooder', `f:${i}`, i * 1000);
    const refused = (() => {
      try {
        cache.remember('flooder', 'f:10', 10_000);
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(RateLimited);
    expect((refused as RateLimited).retryAfterSeconds).toBe(55); // its first proof expires at 65 s
    for (let i = 0; i < 10; i++) expect(outcome(cache, 'honest', `h:${i}`, 10_000)).toBe('ok');
    // Once its oldest proof has expired, the flooder gets one more.
    expect(outcome(cache, 'flooder', 'f:11', 65_000)).toBe('ok');
    expect(outcome(cache, 'flooder', 'f:12', 65_000)).toBe('limited');
  });

  it('when full, forgets the heaviest owner and refuses it until its forgotten proofs have expired, so none can be replayed', () => {
    const cache = new DpopReplayCache(32, WINDOW_MS); // share 2
    let n = 0;
    for (let owner = 0; owner < 15; owner++) for (let i = 0; i < 2; i++) cache.remember(`o${owner}`, `o${owner}:${i}`, n++);
    cache.remember('light', 'light:0', n++);
    cache.remember('light2', 'light2:0', n++);
    expect(cache.size(n)).toBe(32);
    // A new owner arrives: o0 (among the heaviest, two proofs) is forgotten and refused.
    expect(outcome(cache, 'newcomer', 'new:0', n)).toBe('ok');
    expect(cache.size(n)).toBe(31);
    expect(outcome(cache, 'o0', 'o0:0', n)).toBe('limited'); // the forgotten proof: not accepted as new
    expect(outcome(cache, 'o0', 'o0:fresh', n)).toBe('limited');
    expect(outcome(cache, 'o0', 'o0:0', 1 + WINDOW_MS)).toBe('ok'); // expired anyway by now
  });

  it('when full, refuses an owner that already holds as many as anyone instead of forgetting others', () => {
    const cache = new DpopReplayCache(4, WINDOW_MS); // share 1
    for (let owner = 0; owner < 4; owner++) cache.remember(`o${owner}`, `o${owner}:0`, owner);
    expect(outcome(cache, 'o3', 'o3:1', 10)).toBe('limited'); // over its share of 1
    expect(outcome(cache, 'o4', 'o4:0', 10)).toBe('ok'); // a newcomer holds nothing: o0 makes room
    expect(outcome(cache, 'o0', 'o0:1', 10)).toBe('limited');
  });

  it('never accepts a proof twice within its window, never holds more than its capacity, and refuses an owner under its share only once it has been full (any interleaving)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.record({ owner: fc.integer({ min: 0, max: 12 }), key: fc.integer({ min: 0, max: 8 }), advance: fc.nat(20_000) }), {
          maxLength: 300,
        }),
        (capacity, steps) => {
          const cache = new DpopReplayCache(capacity, WINDOW_MS);
          const acceptedAt = new Map<string, number>();
          const heldSince = new Map<string, number[]>();
          let everFull = false;
          let now = 0;
          for (const step of steps) {
            now += step.advance;
            const owner = `o${step.owner}`;
            // As for resource requests and refreshes, whose owner is the proof's key: key:jti.
            const key = `${owner}:${step.key}`;
            const live = (name: string) => (heldSince.get(name) ?? []).filter((at) => at + WINDOW_MS > now).length;
            everFull ||= cache.size(now) >= capacity;
            const seenAt = acceptedAt.get(key);
            const replay = seenAt !== undefined && now < seenAt + WINDOW_MS;
            const result = outcome(cache, owner, key, now);
            if (replay) expect(result).not.toBe('ok');
            if (result === 'ok') {
              acceptedAt.set(key, now);
              heldSince.set(owner, [...(heldSince.get(owner) ?? []), now]);
            }
            if (result === 'limited' && !everFull) expect(live(owner)).toBeGreaterThanOrEqual(cache.shareOfOwner);
            expect(cache.size(now)).toBeLessThanOrEqual(capacity);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
