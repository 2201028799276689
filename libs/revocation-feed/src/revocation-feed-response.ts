import type { RevocationFeedPage } from './revocation-feed.service.js';
import { encodeFeedCursor } from './revocation-feed-cursor.js';

export interface RevokedDeviceEntry {
  readonly deviceId: string;
  readonly userId: string;
  readonly revokedAt: string;
  /** When the last access token this device may hold expires: followers forget it then. */
  readonly until: string;
}

/** A signing key revoked in an emergency: services outside refuse tokens with its `kid`. */
export interface RevokedKeyEntry {
  readonly kid: string;
  readonly revokedAt: string;
}

export interface RevocationFeedResponse {
  readonly revoked: RevokedDeviceEntry[];
  /** Every signing key revoked whose tokens may still be alive (a handful at most), in every answer. */
  readonly revokedKeys: RevokedKeyEntry[];
  readonly cursor: string;
}

/** API.md's feed answer: ISO-8601 times, and the opaque cursor to continue from. */
export function toRevocationFeedResponse(page: RevocationFeedPage): RevocationFeedResponse {
  return {
    revoked: page.entries.map((entry) => ({
      deviceId: entry.deviceId,
      userId: entry.userId,
      revokedAt: new Date(entry.revokedAt).toISOString(),
      until: new Date(entry.revokedAt + page.retentionMs).toISOString(),
    })),
    revokedKeys: page.revokedKeys.map((key) => ({ kid: key.kid, revokedAt: new Date(key.revokedAt).toISOString() })),
    cursor: encodeFeedCursor(page.next, page.revokedKeyCount),
  };
}
