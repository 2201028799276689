import { createHmac, type KeyObject } from 'node:crypto';
import type { SecurityEventEntity } from '@app/persistence';

/**
 * The JSON a receiver gets for one security event. `id` is the event's id, the same on every
 * retry, so receivers de-duplicate by it. What a product needs to tell its user ("we signed
 * out your Pixel 8 because its token was used twice") and nothing more: no IP address or user
 * agent (personal data the product's own logs already have for its user), no email (the
 * product knows its user by `userId`, the tokens' `sub`), never a token or hash.
 */
export interface SecurityWebhookPayload {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: string;
  /** Null for the service's own events (`signing_key_revoked`). */
  readonly userId: string | null;
  readonly deviceId: string | null;
  readonly deviceName: string | null;
  /** For device_revoked: logout, revoked, revoked_others, password_changed, token_revoked, operator, refresh_token_reused. */
  readonly reason: string | null;
  /** Who did it: the account holder (`user`), an `operator`, or the service itself (`system`, e.g. reuse detection). */
  readonly actor: string;
  readonly keyId?: string;
}

/** The body's exact bytes (built from the stored event, so every retry sends the same bytes). */
export function securityWebhookBody(event: SecurityEventEntity): string {
  const payload: SecurityWebhookPayload = {
    id: event.id,
    type: event.type,
    occurredAt: new Date(event.createdAt).toISOString(),
    userId: event.userId,
    deviceId: event.deviceId,
    deviceName: event.deviceName,
    reason: event.reason,
    actor: event.actor,
    // The revoked signing key's `kid` (signing_key_revoked): services that verify tokens drop it.
    ...(event.keyId === null ? {} : { keyId: event.keyId }),
  };
  return JSON.stringify(payload);
}

/** `X-Signature-256`: `sha256=` and the hex HMAC-SHA256 of the body's bytes under the secret (GitHub's scheme). */
export function signSecurityWebhookBody(body: string, secret: KeyObject): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
