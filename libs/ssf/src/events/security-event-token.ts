import type { JWTPayload } from 'jose';
import type { QueuedSet } from '@app/persistence';
import { ACCOUNT_PURGED, CREDENTIAL_CHANGE, SESSION_REVOKED, VERIFICATION } from './ssf-event-types.js';

/** CAEP reason_admin for each revocation reason (English; ids only, nothing personal). */
const REVOCATION_REASONS: Readonly<Record<string, string>> = {
  logout: 'The user signed out on this device.',
  revoked: 'The user revoked this device.',
  revoked_others: 'The user signed out all other devices.',
  password_changed: 'The password changed: the device was signed out.',
  token_revoked: "The device's refresh token was revoked (RFC 7009).",
  refresh_token_reused: 'A refresh token of this device was used twice (suspected theft).',
  operator: 'An operator revoked this device.',
  device_limit: 'The account reached its device limit: its least recently active device was signed out.',
};

/** CAEP credential-change's credential_type and change_type for each security event that causes one. */
const CREDENTIAL_CHANGES: Readonly<Record<string, { credential_type: string; change_type: string }>> = {
  password_changed: { credential_type: 'password', change_type: 'update' },
  password_reset: { credential_type: 'password', change_type: 'update' },
  passkey_added: { credential_type: 'fido2-platform', change_type: 'create' },
  passkey_removed: { credential_type: 'fido2-platform', change_type: 'delete' },
  totp_enabled: { credential_type: 'app', change_type: 'create' },
  totp_disabled: { credential_type: 'app', change_type: 'delete' },
};

const INITIATING_ENTITIES = new Set(['admin', 'user', 'policy', 'system']);

const seconds = (epochMs: number) => Math.floor(epochMs / 1000);
const opaque = (id: string) => ({ format: 'opaque', id });

/**
 * The claims of the SET for one queued event (RFC 8417, profiled by SSF 1.0 §4): `iss`, the
 * stream's `aud`, `jti` (the row's id: the same on every retry and every poll, so receivers
 * de-duplicate by it), `iat` (when it was queued), the RFC 9493 `sub_id`, and exactly one event.
 * Ids only: the account's and the device's, never an email, name, address or user agent.
 */
export function setClaims(set: QueuedSet, issuer: string): JWTPayload {
  const { subject, type, event } = eventOf(set);
  return { iss: issuer, aud: set.stream.audience, jti: set.id, iat: seconds(set.createdAt), sub_id: subject, events: { [type]: event } };
}

function eventOf(set: QueuedSet): { subject: Record<string, unknown>; type: string; event: Record<string, unknown> } {
  const caep = {
    event_timestamp: seconds(set.occurredAt),
    ...(set.initiatingEntity && INITIATING_ENTITIES.has(set.initiatingEntity) ? { initiating_entity: set.initiatingEntity } : {}),
  };
  switch (set.kind) {
    case 'session-revoked':
      return {
        // SSF 1.0 §3.2 / RFC 9493 §3.3: the session and the user it belongs to.
        subject: { format: 'complex', user: opaque(set.userId ?? ''), session: opaque(set.deviceId ?? '') },
        type: SESSION_REVOKED,
        event: { ...caep, reason_admin: { en: REVOCATION_REASONS[set.reason ?? ''] ?? 'The device session was revoked.' } },
      };
    case 'credential-change':
      return {
        subject: opaque(set.userId ?? ''),
        type: CREDENTIAL_CHANGE,
        event: { ...(CREDENTIAL_CHANGES[set.reason ?? ''] ?? { credential_type: 'password', change_type: 'update' }), ...caep },
      };
    case 'account-purged':
      return { subject: opaque(set.userId ?? ''), type: ACCOUNT_PURGED, event: {} };
    case 'verification':
      // SSF 1.0 §8.1.4.1: the subject is the stream; `state` echoes the receiver's.
      return { subject: opaque(set.streamId), type: VERIFICATION, event: set.state === null ? {} : { state: set.state } };
  }
}
