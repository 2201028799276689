import type { RevocationLogPosition } from '@app/persistence';

/** Format version, so a later cursor shape can be told apart from this one. */
const VERSION = 'r1';
const BASE64URL = /^[A-Za-z0-9_-]{1,80}$/;
/** Decimal without leading zeros. */
const DECIMAL = '(0|[1-9][0-9]{0,19})';
const DECODED = new RegExp(`^${VERSION}\\.${DECIMAL}\\.${DECIMAL}(?:\\.${DECIMAL})?$`);
const MAX_XID = 2n ** 64n - 1n;
const MAX_ID = 2n ** 63n - 1n;

/**
 * The feed's cursor: a revocation-log position (transaction id, row id), never a time, so that
 * it does not depend on any clock. Opaque to clients: base64url of "r1.<xid>.<id>".
 */
/** Where a follower stands: its place in the revocation log, and how many revoked signing keys it has been told of. */
export interface FeedCursor {
  readonly position: RevocationLogPosition;
  readonly revokedKeys: number;
}

export function encodeFeedCursor(position: RevocationLogPosition, revokedKeys = 0): string {
  return Buffer.from(`${VERSION}.${position.xid}.${position.id}${revokedKeys > 0 ? `.${revokedKeys}` : ''}`).toString('base64url');
}

/** The position a cursor stands for, or undefined when it is not one this feed could have issued. */
export function decodeFeedCursor(cursor: string): RevocationLogPosition | undefined {
  return decodeFeedCursorWithKeys(cursor)?.position;
}

export function decodeFeedCursorWithKeys(cursor: string): FeedCursor | undefined {
  if (!BASE64URL.test(cursor)) return undefined;
  const decoded = Buffer.from(cursor, 'base64url').toString('latin1');
  // Node's decoder skips what it cannot read; only the canonical spelling is accepted.
  if (Buffer.from(decoded, 'latin1').toString('base64url') !== cursor) return undefined;
  const match = DECODED.exec(decoded);
  if (!match) return undefined;
  const [xid, id, keys = '0'] = [match[1]!, match[2]!, match[3]];
  if (BigInt(xid) > MAX_XID || BigInt(id) > MAX_ID || BigInt(keys) > MAX_ID) return undefined;
  return { position: { xid, id }, revokedKeys: Number(keys) };
}

/** Log order: by transaction id, then row id. */
export function comparePositions(a: RevocationLogPosition, b: RevocationLogPosition): number {
  const byXid = BigInt(a.xid) - BigInt(b.xid);
  if (byXid !== 0n) return byXid < 0n ? -1 : 1;
  const byId = BigInt(a.id) - BigInt(b.id);
  return byId === 0n ? 0 : byId < 0n ? -1 : 1;
}
