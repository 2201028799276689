import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPair, generateProof } from 'dpop';
import { randomUUID } from 'node:crypto';
import { bearer, login, startTestApi, type TestApi } from './support/test-api.js';

// API.md § Step-up (RFC 9470): the sensitive operations need a recent authentication on the
// calling device. They are marked @RequiresStepUp (one guard applies it before any handler
// runs); this suite holds the marked list to API.md's and tries each one with a stale auth_time.

const PUBLIC_URL = 'https://auth.example.test';
const PASSWORD = 'correct horse battery';
const STEP_UP_MAX_AGE_S = 60;
/** Past STEP_UP_MAX_AGE, within the access tokens' 15 minutes. */
const STALE_MS = 2 * 60_000;

/** API.md's list, by operationId: revoking another device, revoke-others, email change, deletion, adding or removing a passkey, enrolling or removing TOTP. */
const SENSITIVE_OPERATIONS = {
  revokeDevice: { exceptOwnDevice: 'id' },
  revokeOtherDevices: {},
  changeEmail: {},
  deleteAccount: {},
  passkeyCreationOptions: {},
  addPasskey: {},
  removePasskey: {},
  enrolTotp: {},
  disableTotp: {},
};

let counter = 0;

describe('step-up on sensitive operations (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ PUBLIC_URL, STEP_UP_MAX_AGE: `${STEP_UP_MAX_AGE_S}s` });
  });
  afterAll(async () => {
    await api.close();
  });

  /** An account with three devices: the caller, and two others. */
  async function account() {
    const email = `step-up-${++counter}-${Date.now()}@example.com`;
    await api.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
    const phone = await login(api, email, PASSWORD, { name: 'Phone' });
    const laptop = await login(api, email, PASSWORD, { name: 'Laptop' });
    const tablet = await login(api, email, PASSWORD, { name: 'Tablet' });
    return { email, phone, laptop, tablet };
  }

  async function activeDevices(accessToken: string): Promise<number> {
    return (await api.http().get('/devices').set('Authorization', bearer(accessToken)).expect(200)).body.devices.length;
  }

  it('marks exactly the sensitive operations of API.md in the OpenAPI document (x-step-up)', async () => {
    const document = (await api.http().get('/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { operationId: string; 'x-step-up'?: unknown }>>;
    };
    const marked: Record<string, unknown> = {};
    for (const item of Object.values(document.paths))
      for (const operation of Object.values(item))
        if (operation['x-step-up'] !== undefined) marked[operation.operationId] = operation['x-step-up'];
    expect(marked).toEqual(SENSITIVE_OPERATIONS);
  });

  it('refuses every sensitive operation past STEP_UP_MAX_AGE with the RFC 9470 challenge, before anything changes; POST /auth/reauthenticate opens them', async () => {
    const { email, phone, laptop } = await account();
    api.clock.advance(STALE_MS);
    try {
      const auth = bearer(phone);
      const attempts = [
        () => api.http().delete(`/devices/${laptop.device_id}`).set('Authorization', auth),
        () => api.http().post('/devices/revoke-others').set('Authorization', auth),
        () =>
          api
            .http()
            .post('/account/email')
            .set('Authorization', auth)
            .send({ newEmail: `new-${email}` }),
        () => api.http().delete('/account').set('Authorization', auth),
        () => api.http().post('/account/passkeys/options').set('Authorization', auth),
        // Refused before the body is even read: the guard runs before validation.
        () => api.http().post('/account/passkeys').set('Authorization', auth).send({ response: {} }),
        () => api.http().delete(`/account/passkeys/${randomUUID()}`).set('Authorization', auth),
        () => api.http().post('/account/totp').set('Authorization', auth),
        () => api.http().delete('/account/totp').set('Authorization', auth),
      ];
      for (const attempt of attempts) {
        const refused = await attempt();
        expect(refused.status).toBe(401);
        expect(refused.body).toMatchObject({ error: 'insufficient_user_authentication' });
        expect(refused.headers['www-authenticate']).toMatch(
          new RegExp(`^Bearer error="insufficient_user_authentication", error_description="[^"]+", max_age=${STEP_UP_MAX_AGE_S}$`),
        );
      }
      // Nothing changed: every device is still signed in, the address is the same.
      expect(await activeDevices(phone.access_token)).toBe(3);
      expect((await api.http().get('/account').set('Authorization', auth).expect(200)).body.email).toBe(email);

      const fresh = (await api.http().post('/auth/reauthenticate').set('Authorization', auth).send({ password: PASSWORD }).expect(200))
        .body;
      await api.http().delete(`/devices/${laptop.device_id}`).set('Authorization', bearer(fresh)).expect(204);
      expect((await api.http().post('/devices/revoke-others').set('Authorization', bearer(fresh)).expect(200)).body).toEqual({
        revoked: 1,
      });
      expect(await activeDevices(fresh.access_token)).toBe(1);
    } finally {
      api.clock.advance(-STALE_MS);
    }
  });

  it('lets a device sign itself out (DELETE /devices/:id of its own id) however old its sign-in', async () => {
    const { phone, tablet } = await account();
    api.clock.advance(STALE_MS);
    try {
      await api.http().delete(`/devices/${tablet.device_id}`).set('Authorization', bearer(tablet)).expect(204);
      expect(await activeDevices(phone.access_token)).toBe(2);
    } finally {
      api.clock.advance(-STALE_MS);
    }
  });

  it('challenges a key-bound device in its own scheme (DPoP)', async () => {
    // Proofs carry the real time, so the clock is not moved past the sign-in: the sign-in happens
    // in the past instead, as a bearer device, and the device binds to its key at its first
    // refresh (a refresh never moves auth_time).
    const email = `step-up-bound-${++counter}-${Date.now()}@example.com`;
    await api.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
    api.clock.advance(-STALE_MS);
    let signedIn: { refresh_token: string };
    let other: { device_id: string; access_token: string };
    try {
      signedIn = await login(api, email, PASSWORD, { name: 'Phone' });
      other = await login(api, email, PASSWORD, { name: 'Other' });
    } finally {
      api.clock.advance(STALE_MS);
    }
    const keys = await generateKeyPair('ES256');
    const proof = (method: string, path: string, accessToken?: string) =>
      generateProof(keys, `${PUBLIC_URL}${path}`, method, undefined, accessToken);
    const bound = (
      await api
        .http()
        .post('/auth/refresh')
        .set('DPoP', await proof('POST', '/auth/refresh'))
        .send({ refresh_token: signedIn.refresh_token })
        .expect(200)
    ).body;
    expect(bound.token_type).toBe('DPoP');
    const refused = await api
      .http()
      .delete(`/devices/${other.device_id}`)
      .set({ authorization: `DPoP ${bound.access_token}`, dpop: await proof('DELETE', `/devices/${other.device_id}`, bound.access_token) });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(
      new RegExp(`^DPoP error="insufficient_user_authentication", error_description="[^"]+", max_age=${STEP_UP_MAX_AGE_S}$`),
    );
    expect(await activeDevices(other.access_token)).toBe(2);
  });
});
