import { type Actor } from '@app/platform';
import type { RevocationReason } from '@app/persistence';

interface OwnedDevice {
  readonly id: string;
  readonly userId: string;
}

// Who may do what with a device. Each answer is one rule, unit-tested in account-policy.spec.ts;
// DevicesService asks these and nothing else.

/** The owner sees, renames and revokes their devices; nobody else's. */
export function isOwner(actor: Actor, device: OwnedDevice): boolean {
  return device.userId === actor.userId;
}

/** The owner, or an operator (the dashboard's stored role; API actors are never operators). */
export function mayRevoke(actor: Actor, device: OwnedDevice): boolean {
  return isOwner(actor, device) || actor.role === 'operator';
}

/** Only operators look into other accounts (their devices and security activity). */
export function mayInspectAccount(actor: Actor, userId: string): boolean {
  return actor.userId === userId || actor.role === 'operator';
}

/** Why a device ends when `actor` revokes it: its own device is a logout; another account's, an operator's act. */
export function revocationReason(actor: Actor, device: OwnedDevice): RevocationReason {
  if (device.id === actor.deviceId) return 'logout';
  return isOwner(actor, device) ? 'revoked' : 'operator';
}
