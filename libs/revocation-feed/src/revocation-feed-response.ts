import type { RevocationFeedPage } from './revocation-feed.service.js';
import { encodeFeedCursor } from './revocation-feed-cursor.js';

export interface RevokedDeviceEntry {
  readonly deviceId: string;
  readonly userId: string;
  readonly revokedAt: string;
  /** When the last access token this device may hold expires: followers forget it then. */
  readonly until: string;
}

export interface RevocationFeedResponse {
  readonly revoked: RevokedDeviceEntry[];
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
    cursor: encodeFeedCursor(page.next),
  };
}
