import type { ActivityEntry } from '@app/accounts';
import { describeEvent } from './event-view.js';

const reader = { userId: 'user-1', deviceId: 'browser-1' };
const names = new Map([['phone-1', 'iPhone']]);

function event(overrides: Partial<ActivityEntry>): ActivityEntry {
  return {
    id: 'e',
    occurrences: 1,
    userId: 'user-1',
    keyId: null,
    type: 'device_revoked',
    deviceId: 'pixel-1',
    deviceName: 'Pixel 8',
    actor: 'user',
    actorUserId: 'user-1',
    actorDeviceId: null,
    reason: 'revoked',
    ip: null,
    userAgent: null,
    createdAt: 0,
    repeated: 1,
    ...overrides,
  };
}

describe('describeEvent', () => {
  it.each([
    [{ actorDeviceId: 'browser-1' }, "Device 'Pixel 8' revoked by you from this browser"],
    [{ actorDeviceId: 'phone-1' }, "Device 'Pixel 8' revoked by you from 'iPhone'"],
    [{ actor: 'operator' as const, actorUserId: 'operator-1', reason: 'operator' }, "Device 'Pixel 8' revoked by an operator"],
    [
      {
        type: 'refresh_token_reused' as const,
        actor: 'system' as const,
        actorUserId: null,
        reason: 'refresh_token_reused',
        deviceName: 'iPhone',
      },
      "Refresh token reuse detected on 'iPhone' — device signed out",
    ],
    [{ type: 'login' as const, reason: null }, "Signed in on 'Pixel 8'"],
    [{ reason: 'password_changed' }, "Device 'Pixel 8' signed out after a password change"],
    [{ reason: 'logout' }, "Signed out of 'Pixel 8'"],
    [{ type: 'login_failed' as const, reason: null }, 'Failed sign-in attempt (wrong password)'],
    [{ type: 'login_failed' as const, reason: null, repeated: 1200 }, '1,200 failed sign-in attempts (wrong password)'],
    [
      { type: 'dpop_proof_rejected' as const, reason: null, deviceName: 'iPhone' },
      "A refresh of key-bound 'iPhone' without its key was refused — nothing changed",
    ],
    [
      { type: 'dpop_proof_rejected' as const, reason: null, deviceName: 'iPhone', occurrences: 7, repeated: 7 },
      "Refreshes of key-bound 'iPhone' without its key were refused ×7 — nothing changed",
    ],
    [
      { type: 'dpop_proof_rejected' as const, reason: null, deviceName: 'iPhone', occurrences: 10, repeated: 1210 },
      "Refreshes of key-bound 'iPhone' without its key were refused ×1,210 — nothing changed",
    ],
    [
      { type: 'operator_granted' as const, actor: 'system' as const, actorUserId: null, deviceId: null, deviceName: null, reason: null },
      "Operator role granted (from the command line): this account can see and revoke any user's devices",
    ],
    [
      { type: 'operator_revoked' as const, actor: 'system' as const, actorUserId: null, deviceId: null, deviceName: null, reason: null },
      'Operator role withdrawn (from the command line)',
    ],
  ])('reads %p as %p', (overrides, text) => {
    expect(describeEvent(event(overrides), reader, names)).toBe(text);
  });
});
