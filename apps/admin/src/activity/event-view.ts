import type { ActivityEntry } from '@app/accounts';
import { formatExact, formatRelative } from '../rendering/time-format.js';

export interface EventView {
  readonly type: string;
  readonly text: string;
  readonly ip: string | null;
  readonly iso: string;
  readonly exact: string;
  readonly relative: string;
}

/** Whose eyes read the log: the account holder ("you") or an operator ("the user"). */
export interface EventReader {
  readonly userId: string;
  /** The device the reader uses now, for "from this browser". */
  readonly deviceId: string;
}

/** One sentence per event, e.g. "Device 'Pixel 8' revoked by you from this browser". */
export function describeEvent(event: ActivityEntry, reader: EventReader, deviceNames: ReadonlyMap<string, string>): string {
  const device = event.deviceName ? `'${event.deviceName}'` : 'a device';
  const byReader = event.actorUserId === reader.userId;
  const actor =
    event.actor === 'operator'
      ? byReader
        ? 'by you (operator)'
        : 'by an operator'
      : event.actor === 'system'
        ? 'by the service'
        : byReader
          ? 'by you'
          : 'by the account holder';
  const from =
    event.actorDeviceId === null
      ? ''
      : event.actorDeviceId === reader.deviceId
        ? ' from this browser'
        : deviceNames.has(event.actorDeviceId)
          ? ` from '${deviceNames.get(event.actorDeviceId)}'`
          : '';
  switch (event.type) {
    case 'registered':
      return 'Account created';
    case 'login':
      return `Signed in on ${device}`;
    case 'login_failed':
      return event.repeated > 1
        ? `${event.repeated.toLocaleString('en')} failed sign-in attempts (wrong password)`
        : 'Failed sign-in attempt (wrong password)';
    case 'password_changed':
      return `Password changed ${actor}${from}`;
    case 'device_renamed':
      return `Device renamed to ${device} ${actor}${from}`;
    case 'operator_granted':
      return "Operator role granted (from the command line): this account can see and revoke any user's devices";
    case 'operator_revoked':
      return 'Operator role withdrawn (from the command line)';
    case 'refresh_token_reused':
      return `Refresh token reuse detected on ${device} — device signed out`;
    case 'dpop_proof_rejected':
      return event.repeated > 1
        ? `Refreshes of key-bound ${device} without its key were refused ×${event.repeated.toLocaleString('en')} — nothing changed`
        : `A refresh of key-bound ${device} without its key was refused — nothing changed`;
    case 'email_verified':
      return 'Email address confirmed';
    case 'password_reset_requested':
      return 'Password reset requested (a link was mailed)';
    case 'password_reset':
      return 'Password reset with a mailed link: every device was signed out';
    case 'email_change_requested':
      return `Email change requested ${actor}${from} (waiting for the new address to confirm)`;
    case 'email_changed':
      return 'Email address changed';
    case 'signing_key_rotated':
      return 'A new access-token signing key was scheduled';
    case 'signing_key_revoked':
      return 'An access-token signing key was revoked';
    case 'account_deleted':
      return 'Account deleted';
    case 'passkey_added':
      return `Passkey added ${actor}${from}`;
    case 'passkey_removed':
      return `Passkey removed ${actor}${from}`;
    case 'passkey_clone_suspected':
      return 'A sign-in with a passkey whose signature counter went backwards was refused: the passkey may have been copied';
    case 'totp_enabled':
      return `Two-step verification (authenticator app) turned on ${actor}${from}`;
    case 'totp_disabled':
      return `Two-step verification (authenticator app) turned off ${actor}${from}`;
    case 'recovery_code_used':
      return 'A recovery code was used to sign in';
    case 'reauthenticated':
      return `Identity confirmed again on ${device} (for a sensitive action)`;
    case 'device_revoked':
      switch (event.reason) {
        case 'logout':
          return `Signed out of ${device}`;
        case 'revoked_others':
          return `Device ${device} signed out with "Sign out all other devices" ${actor}${from}`;
        case 'password_changed':
          return `Device ${device} signed out after a password change`;
        case 'token_revoked':
          return `Device ${device} signed out: its refresh token was revoked`;
        case 'device_limit':
          return `Device ${device} signed out: a new sign-in went over the account's device limit`;
        default:
          return `Device ${device} revoked ${actor}${from}`;
      }
  }
}

export function toEventView(event: ActivityEntry, reader: EventReader, deviceNames: ReadonlyMap<string, string>, now: number): EventView {
  return {
    type: event.type,
    text: describeEvent(event, reader, deviceNames),
    ip: event.ip,
    iso: new Date(event.createdAt).toISOString(),
    exact: formatExact(event.createdAt),
    relative: formatRelative(event.createdAt, now),
  };
}
