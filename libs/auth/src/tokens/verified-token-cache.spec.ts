import { VerifiedTokenCache, type VerifiedClaims } from './verified-token-cache.js';

const claims = (expiresAt: number): VerifiedClaims => ({
  userId: 'u',
  deviceId: 'd',
  issuedAt: expiresAt - 900,
  authTime: 0,
  expiresAt,
  jkt: null,
  client: 'api',
});

describe('VerifiedTokenCache', () => {
  it('returns the claims of a token added before, by its whole string', () => {
    const cache = new VerifiedTokenCache();
    cache.add('a.b.c', claims(2000));
    expect(cache.get('a.b.c', 1000)).toEqual(claims(2000));
    expect(cache.get('a.b.C', 1000)).toBeUndefined();
    expect(cache.get('a.b.c ', 1000)).toBeUndefined();
  });

  it('never returns an entry at or past its exp, and drops it', () => {
    const cache = new VerifiedTokenCache();
    cache.add('t', claims(2000));
    expect(cache.get('t', 1999)).toBeDefined();
    expect(cache.get('t', 2000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('stays within its capacity, dropping the oldest entry first', () => {
    const cache = new VerifiedTokenCache(3);
    for (const token of ['1', '2', '3', '4', '5']) cache.add(token, claims(2000));
    expect(cache.size).toBe(3);
    expect(cache.get('1', 0)).toBeUndefined();
    expect(cache.get('2', 0)).toBeUndefined();
    expect(cache.get('5', 0)).toBeDefined();
    cache.add('5', claims(3000));
    expect(cache.size).toBe(3);
    expect(cache.get('3', 0)).toBeDefined();
  });
});
