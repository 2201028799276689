import fc from 'fast-check';
import { comparePositions, decodeFeedCursor, decodeFeedCursorWithKeys, encodeFeedCursor } from './revocation-feed-cursor.js';

describe('revocation feed cursor', () => {
  it('round-trips every position of the log', () => {
    const decimal = (max: bigint) => fc.bigInt({ min: 0n, max }).map(String);
    fc.assert(
      fc.property(decimal(2n ** 64n - 1n), decimal(2n ** 63n - 1n), (xid, id) => {
        expect(decodeFeedCursor(encodeFeedCursor({ xid, id }))).toEqual({ xid, id });
      }),
    );
  });

  it('carries how many revoked signing keys the follower was told of', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (revokedKeys) => {
        const position = { xid: '7', id: '9' };
        expect(decodeFeedCursorWithKeys(encodeFeedCursor(position, revokedKeys))).toEqual({ position, revokedKeys });
      }),
    );
  });

  it('is opaque: base64url, no clock or separator a client could edit by eye', () => {
    expect(encodeFeedCursor({ xid: '0', id: '42' })).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('refuses anything it did not issue', () => {
    const encode = (text: string) => Buffer.from(text).toString('base64url');
    for (const cursor of [
      '',
      'not a cursor',
      '%%%',
      encode('r1.1'),
      encode('r2.0.1'),
      encode('r1.-1.5'),
      encode('r1.01.5'),
      encode('r1.0.1.2.3'),
      encode('r1.0.1.02'),
      encode('r1.0.1.'),
      encode(`r1.${2n ** 64n}.1`),
      encode(`r1.0.${2n ** 63n}`),
      encode('r1.0.1') + '=',
      'A'.repeat(200),
    ]) {
      expect(decodeFeedCursor(cursor)).toBeUndefined();
    }
  });

  it('orders positions by transaction, then row', () => {
    expect(comparePositions({ xid: '9', id: '100' }, { xid: '10', id: '1' })).toBe(-1);
    expect(comparePositions({ xid: '10', id: '2' }, { xid: '10', id: '1' })).toBe(1);
    expect(comparePositions({ xid: '18446744073709551615', id: '5' }, { xid: '18446744073709551615', id: '5' })).toBe(0);
  });
});
