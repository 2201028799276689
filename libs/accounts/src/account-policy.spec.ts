import { type Actor } from '@app/platform';
import { isOwner, mayInspectAccount, mayRevoke, revocationReason } from './account-policy.js';

const actor = (role: Actor['role'] = 'user'): Actor => ({
  kind: 'account',
  userId: 'ann',
  deviceId: 'ann-phone',
  role,
  authTime: 0,
  keyBound: false,
  ip: null,
  userAgent: null,
});
const annsPhone = { id: 'ann-phone', userId: 'ann' };
const annsTablet = { id: 'ann-tablet', userId: 'ann' };
const bobsPhone = { id: 'bob-phone', userId: 'bob' };

describe('device policy', () => {
  it("lets an owner manage their own devices and nobody else's", () => {
    expect(isOwner(actor(), annsTablet)).toBe(true);
    expect(isOwner(actor(), bobsPhone)).toBe(false);
    expect(mayRevoke(actor(), annsTablet)).toBe(true);
    expect(mayRevoke(actor(), bobsPhone)).toBe(false);
    expect(mayInspectAccount(actor(), 'bob')).toBe(false);
  });

  it('lets an operator revoke and inspect any account, but not rename what is not theirs', () => {
    expect(mayRevoke(actor('operator'), bobsPhone)).toBe(true);
    expect(mayInspectAccount(actor('operator'), 'bob')).toBe(true);
    expect(isOwner(actor('operator'), bobsPhone)).toBe(false);
  });

  it.each([
    ['the device it acts from', actor(), annsPhone, 'logout'],
    ['another device of the account', actor(), annsTablet, 'revoked'],
    ["another account's device, as an operator", actor('operator'), bobsPhone, 'operator'],
    ["the operator's own other device", actor('operator'), annsTablet, 'revoked'],
  ] as const)('gives the reason for revoking %s', (_, who, device, reason) => {
    expect(revocationReason(who, device)).toBe(reason);
  });
});
