import type { QueuedSet } from '@app/persistence';
import { setClaims } from './security-event-token.js';
import { ACCOUNT_PURGED, CREDENTIAL_CHANGE, SESSION_REVOKED, VERIFICATION } from './ssf-event-types.js';

const queued = (overrides: Partial<QueuedSet>): QueuedSet => ({
  id: '0c5d2f0e-6b8a-4c1e-9d3a-1f2e3d4c5b6a',
  streamId: '6f0e8a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b',
  kind: 'session-revoked',
  userId: 'a0b2c4d6-e8f0-4a1b-8c2d-3e4f5a6b7c8d',
  deviceId: '6f1c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e',
  reason: 'logout',
  initiatingEntity: 'user',
  state: null,
  occurredAt: Date.UTC(2026, 11, 5, 10, 0, 0, 750),
  createdAt: Date.UTC(2026, 11, 5, 10, 0, 1, 250),
  stream: {
    audience: 'https://siem.example',
    deliveryMethod: 'urn:ietf:rfc:8936',
    endpointUrl: null,
    authorizationHeader: null,
    status: 'enabled',
  },
  ...overrides,
});

describe('setClaims', () => {
  it('says a session was revoked: RFC 9493 complex subject of user and session, CAEP members, seconds', () => {
    expect(setClaims(queued({}), 'https://auth.example.com')).toEqual({
      iss: 'https://auth.example.com',
      aud: 'https://siem.example',
      jti: '0c5d2f0e-6b8a-4c1e-9d3a-1f2e3d4c5b6a',
      iat: Date.UTC(2026, 11, 5, 10, 0, 1) / 1000,
      sub_id: {
        format: 'complex',
        user: { format: 'opaque', id: 'a0b2c4d6-e8f0-4a1b-8c2d-3e4f5a6b7c8d' },
        session: { format: 'opaque', id: '6f1c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e' },
      },
      events: {
        [SESSION_REVOKED]: {
          event_timestamp: Date.UTC(2026, 11, 5, 10, 0, 0) / 1000,
          initiating_entity: 'user',
          reason_admin: { en: 'The user signed out on this device.' },
        },
      },
    });
  });

  it('names who revoked: an operator is admin, reuse detection the system', () => {
    const operator = setClaims(queued({ reason: 'operator', initiatingEntity: 'admin' }), 'iss').events as Record<string, object>;
    expect(operator[SESSION_REVOKED]).toMatchObject({
      initiating_entity: 'admin',
      reason_admin: { en: 'An operator revoked this device.' },
    });
    const reuse = setClaims(queued({ reason: 'refresh_token_reused', initiatingEntity: 'system' }), 'iss').events as Record<string, object>;
    expect(reuse[SESSION_REVOKED]).toMatchObject({ initiating_entity: 'system' });
  });

  it('maps credential changes to CAEP credential types and change types', () => {
    const cases: [string, string, string][] = [
      ['password_changed', 'password', 'update'],
      ['password_reset', 'password', 'update'],
      ['passkey_added', 'fido2-platform', 'create'],
      ['passkey_removed', 'fido2-platform', 'delete'],
      ['totp_enabled', 'app', 'create'],
      ['totp_disabled', 'app', 'delete'],
    ];
    for (const [reason, credentialType, changeType] of cases) {
      const claims = setClaims(queued({ kind: 'credential-change', reason, deviceId: null }), 'iss');
      expect(claims.sub_id).toEqual({ format: 'opaque', id: 'a0b2c4d6-e8f0-4a1b-8c2d-3e4f5a6b7c8d' });
      expect(claims.events).toEqual({
        [CREDENTIAL_CHANGE]: {
          credential_type: credentialType,
          change_type: changeType,
          event_timestamp: 1796464800,
          initiating_entity: 'user',
        },
      });
    }
  });

  it('says an account was purged, and echoes a verification state about the stream', () => {
    expect(setClaims(queued({ kind: 'account-purged', reason: 'account_deleted' }), 'iss').events).toEqual({ [ACCOUNT_PURGED]: {} });
    const verification = setClaims(queued({ kind: 'verification', userId: null, deviceId: null, state: 'abc' }), 'iss');
    expect(verification.sub_id).toEqual({ format: 'opaque', id: '6f0e8a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b' });
    expect(verification.events).toEqual({ [VERIFICATION]: { state: 'abc' } });
    expect(setClaims(queued({ kind: 'verification', state: null }), 'iss').events).toEqual({ [VERIFICATION]: {} });
  });
});
