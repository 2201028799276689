import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPair, generateProof } from 'dpop';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { DeviceEntity, PasskeyChallengeEntity, PasskeyEntity, SecurityEventEntity } from '@app/persistence';
import type { TokenResponse } from '@app/auth';
import { SoftwareAuthenticator } from './support/software-authenticator.js';
import { bearer, decodeJwt, registerAndLogin, startTestApi, type SignedIn, type TestApi } from './support/test-api.js';

/**
 * Passkeys (API.md § Strong authentication), end to end against a software authenticator
 * (support/software-authenticator.ts: P-256 keys, real CBOR, real authenticator data, ES256
 * signatures), never the server's own code. Every refusal answers 401 problem+json and
 * creates nothing: the devices and passkeys rows are counted before and after.
 */
const PUBLIC_URL = 'https://auth.example.test';
const DASHBOARD_URL = 'https://dash.example.test';
const ORIGIN = DASHBOARD_URL;
const RP_ID = 'dash.example.test';

describe('passkeys (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ PUBLIC_URL, DASHBOARD_URL });
  });
  afterAll(async () => {
    await api.close();
  });

  const devicesOf = (userId: string) => api.dataSource.getRepository(DeviceEntity).countBy({ userId });
  const passkeysOf = (userId: string) => api.dataSource.getRepository(PasskeyEntity).countBy({ userId });
  const eventsOf = (userId: string, type: SecurityEventEntity['type']) =>
    api.dataSource.getRepository(SecurityEventEntity).countBy({ userId, type });

  async function creationOptions(tokens: TokenResponse): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return (await api.http().post('/account/passkeys/options').set('Authorization', bearer(tokens)).expect(200)).body;
  }

  /** A signed-in account with a passkey on `authenticator`. */
  async function withPasskey(authenticator = new SoftwareAuthenticator()): Promise<SignedIn & { authenticator: SoftwareAuthenticator }> {
    const account = await registerAndLogin(api);
    const options = await creationOptions(account.tokens);
    await api
      .http()
      .post('/account/passkeys')
      .set('Authorization', bearer(account.tokens))
      .send({ response: authenticator.register(options, { origin: ORIGIN }), name: 'Laptop' })
      .expect(201);
    return { ...account, authenticator };
  }

  async function signInOptions(): Promise<{ challengeId: string; options: PublicKeyCredentialRequestOptionsJSON }> {
    return (await api.http().post('/auth/passkey/options').expect(200)).body;
  }

  const passkeyLogin = (body: object, headers: Record<string, string> = {}) =>
    api
      .http()
      .post('/auth/passkey/login')
      .set(headers)
      .send({ device: { name: 'Passkey phone', platform: 'ios' }, ...body });

  /** The request is refused with 401 problem+json and creates no device and no passkey. */
  async function expectRefusedCreatingNothing(
    userId: string,
    attempt: () => Promise<{ status: number; headers: Record<string, string>; body: unknown }>,
  ) {
    const [devices, passkeys] = [await devicesOf(userId), await passkeysOf(userId)];
    const response = await attempt();
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await devicesOf(userId)).toBe(devices);
    expect(await passkeysOf(userId)).toBe(passkeys);
    return response;
  }

  describe('registration', () => {
    it('offers creation options (discoverable credential, user verification required, existing passkeys excluded), adds, lists and counts the passkey', async () => {
      const account = await registerAndLogin(api);
      const authenticator = new SoftwareAuthenticator();
      const options = await creationOptions(account.tokens);
      expect(options).toMatchObject({
        rp: { id: RP_ID, name: 'device-auth' },
        user: { name: account.email },
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
        attestation: 'none',
        excludeCredentials: [],
      });
      const added = await api
        .http()
        .post('/account/passkeys')
        .set('Authorization', bearer(account.tokens))
        .send({ response: authenticator.register(options, { origin: ORIGIN }), name: 'Laptop' })
        .expect(201);
      expect(added.body).toEqual({ id: expect.any(String), name: 'Laptop', createdAt: expect.any(String), lastUsedAt: null });
      expect(await eventsOf(account.userId, 'passkey_added')).toBe(1);

      const list = await api.http().get('/account/passkeys').set('Authorization', bearer(account.tokens)).expect(200);
      expect(list.body).toEqual({ passkeys: [added.body] });
      const accountView = await api.http().get('/account').set('Authorization', bearer(account.tokens)).expect(200);
      expect(accountView.body.passkeys).toBe(1);
      const again = await creationOptions(account.tokens);
      expect(again.excludeCredentials).toEqual([{ id: authenticator.id, type: 'public-key', transports: ['internal', 'hybrid'] }]);
    });

    it('needs step-up: past STEP_UP_MAX_AGE options, adding and removing answer the insufficient_user_authentication challenge and change nothing', async () => {
      const account = await withPasskey();
      const [passkey] = (await api.http().get('/account/passkeys').set('Authorization', bearer(account.tokens)).expect(200)).body.passkeys;
      const options = await creationOptions(account.tokens);
      const response = new SoftwareAuthenticator().register(options, { origin: ORIGIN });
      api.clock.advance(11 * 60_000);
      try {
        for (const request of [
          () => api.http().post('/account/passkeys/options').set('Authorization', bearer(account.tokens)),
          () => api.http().post('/account/passkeys').set('Authorization', bearer(account.tokens)).send({ response }),
          () => api.http().delete(`/account/passkeys/${passkey.id}`).set('Authorization', bearer(account.tokens)),
        ]) {
          const refused = await expectRefusedCreatingNothing(account.userId, request);
          expect(refused.body).toMatchObject({ error: 'insufficient_user_authentication' });
          expect(refused.headers['www-authenticate']).toMatch(
            /^Bearer error="insufficient_user_authentication", error_description="[^"]+", max_age=600$/,
          );
        }
        expect(await passkeysOf(account.userId)).toBe(1);
      } finally {
        api.clock.advance(-11 * 60_000);
      }
    });

    it('refuses a response from a foreign origin, for another RP id, or to a spent challenge, adding nothing', async () => {
      const account = await registerAndLogin(api);
      const refuse = (response: object) =>
        expectRefusedCreatingNothing(account.userId, () =>
          api.http().post('/account/passkeys').set('Authorization', bearer(account.tokens)).send({ response }),
        );
      await refuse(new SoftwareAuthenticator().register(await creationOptions(account.tokens), { origin: 'https://evil.example' }));
      await refuse(new SoftwareAuthenticator().register(await creationOptions(account.tokens), { origin: ORIGIN, rpId: 'evil.example' }));
      const options = await creationOptions(account.tokens);
      const authenticator = new SoftwareAuthenticator();
      await api
        .http()
        .post('/account/passkeys')
        .set('Authorization', bearer(account.tokens))
        .send({ response: authenticator.register(options, { origin: ORIGIN }) })
        .expect(201);
      await refuse(new SoftwareAuthenticator().register(options, { origin: ORIGIN }));
      expect(await passkeysOf(account.userId)).toBe(1);
    });
  });

  describe('sign-in', () => {
    it('signs a new device in with the passkey alone: tokens with amr hwk,user,mfa, a device created, the counter and last use recorded', async () => {
      const account = await withPasskey();
      const { challengeId, options } = await signInOptions();
      expect(options).toMatchObject({ rpId: RP_ID, userVerification: 'required' });
      expect(options.allowCredentials ?? []).toEqual([]);
      const devices = await devicesOf(account.userId);

      const response = await passkeyLogin({ challengeId, response: account.authenticator.assert(options, { origin: ORIGIN }) }).expect(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toMatchObject({ token_type: 'Bearer', device_id: expect.any(String), refresh_token: expect.any(String) });
      const { payload } = decodeJwt(response.body.access_token);
      expect(payload).toMatchObject({ sub: account.userId, sid: response.body.device_id, amr: ['hwk', 'user', 'mfa'] });
      expect(await devicesOf(account.userId)).toBe(devices + 1);
      const device = await api.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: response.body.device_id });
      expect(device).toMatchObject({ name: 'Passkey phone', platform: 'ios', amr: 'hwk,user,mfa', jkt: null });
      const passkey = await api.dataSource.getRepository(PasskeyEntity).findOneByOrFail({ userId: account.userId });
      expect(passkey.counter).toBe(1);
      expect(passkey.lastUsedAt).not.toBeNull();
      // The tokens work like any sign-in's.
      await api.http().get('/me').set('Authorization', bearer(response.body)).expect(200);
    });

    it('binds the device to the key of a DPoP proof, as /auth/login does', async () => {
      const account = await withPasskey();
      const keys = await generateKeyPair('ES256');
      const { challengeId, options } = await signInOptions();
      const response = await passkeyLogin(
        { challengeId, response: account.authenticator.assert(options, { origin: ORIGIN }) },
        { DPoP: await generateProof(keys, `${PUBLIC_URL}/auth/passkey/login`, 'POST') },
      ).expect(200);
      expect(response.body.token_type).toBe('DPoP');
      expect(decodeJwt(response.body.access_token).payload.cnf).toEqual({ jkt: expect.any(String) });
      const device = await api.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: response.body.device_id });
      expect(device.jkt).toBe((decodeJwt(response.body.access_token).payload.cnf as { jkt: string }).jkt);
      const me = await api
        .http()
        .get('/me')
        .set('Authorization', `DPoP ${response.body.access_token}`)
        .set('DPoP', await generateProof(keys, `${PUBLIC_URL}/me`, 'GET', undefined, response.body.access_token));
      expect(me.status).toBe(200);
    });

    it('refuses an assertion from a foreign origin or for another RP id', async () => {
      const account = await withPasskey();
      for (const where of [{ origin: 'https://evil.example' }, { origin: ORIGIN, rpId: 'evil.example' }]) {
        const { challengeId, options } = await signInOptions();
        await expectRefusedCreatingNothing(account.userId, () =>
          passkeyLogin({ challengeId, response: account.authenticator.assert(options, where) }),
        );
      }
    });

    it('refuses a replayed challenge: the same challengeId twice, and of two parallel uses exactly one wins', async () => {
      const account = await withPasskey();
      const first = await signInOptions();
      await passkeyLogin({
        challengeId: first.challengeId,
        response: account.authenticator.assert(first.options, { origin: ORIGIN }),
      }).expect(200);
      await expectRefusedCreatingNothing(account.userId, () =>
        passkeyLogin({ challengeId: first.challengeId, response: account.authenticator.assert(first.options, { origin: ORIGIN }) }),
      );

      const devices = await devicesOf(account.userId);
      const { challengeId, options } = await signInOptions();
      const assertion = account.authenticator.assert(options, { origin: ORIGIN });
      const answers = await Promise.all([
        passkeyLogin({ challengeId, response: assertion }),
        passkeyLogin({ challengeId, response: assertion }),
      ]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
      expect(await devicesOf(account.userId)).toBe(devices + 1);
    });

    it('refuses an expired challenge (5 minutes)', async () => {
      const account = await withPasskey();
      const { challengeId, options } = await signInOptions();
      api.clock.advance(5 * 60_000 + 1000);
      try {
        await expectRefusedCreatingNothing(account.userId, () =>
          passkeyLogin({ challengeId, response: account.authenticator.assert(options, { origin: ORIGIN }) }),
        );
      } finally {
        api.clock.advance(-(5 * 60_000 + 1000));
      }
    });

    it('refuses a signature counter that went backwards (a cloned authenticator) and records passkey_clone_suspected', async () => {
      const account = await withPasskey();
      let { challengeId, options } = await signInOptions();
      await passkeyLogin({ challengeId, response: account.authenticator.assert(options, { origin: ORIGIN, counter: 5 }) }).expect(200);
      ({ challengeId, options } = await signInOptions());
      await expectRefusedCreatingNothing(account.userId, () =>
        passkeyLogin({ challengeId, response: account.authenticator.assert(options, { origin: ORIGIN, counter: 3 }) }),
      );
      expect(await eventsOf(account.userId, 'passkey_clone_suspected')).toBe(1);
      expect((await api.dataSource.getRepository(PasskeyEntity).findOneByOrFail({ userId: account.userId })).counter).toBe(5);
    });

    it('refuses a signature by another key (and records no clone for a forgery)', async () => {
      const account = await withPasskey();
      const { challengeId, options } = await signInOptions();
      await expectRefusedCreatingNothing(account.userId, () =>
        passkeyLogin({ challengeId, response: account.authenticator.impostor().assert(options, { origin: ORIGIN }) }),
      );
      expect(await eventsOf(account.userId, 'passkey_clone_suspected')).toBe(0);
    });

    it('refuses a removed credential; another account cannot remove it (404)', async () => {
      const account = await withPasskey();
      const stranger = await registerAndLogin(api);
      const [passkey] = (await api.http().get('/account/passkeys').set('Authorization', bearer(account.tokens)).expect(200)).body.passkeys;
      await api.http().delete(`/account/passkeys/${passkey.id}`).set('Authorization', bearer(stranger.tokens)).expect(404);
      await api.http().delete('/account/passkeys/not-a-uuid').set('Authorization', bearer(account.tokens)).expect(404);
      await api.http().delete(`/account/passkeys/${passkey.id}`).set('Authorization', bearer(account.tokens)).expect(204);
      expect(await eventsOf(account.userId, 'passkey_removed')).toBe(1);
      const { challengeId, options } = await signInOptions();
      await expectRefusedCreatingNothing(account.userId, () =>
        passkeyLogin({ challengeId, response: account.authenticator.assert(options, { origin: ORIGIN }) }),
      );
    });

    it('deleting the account deletes its passkeys', async () => {
      const account = await withPasskey();
      expect(await passkeysOf(account.userId)).toBe(1);
      await api.http().delete('/account').set('Authorization', bearer(account.tokens)).expect(204);
      expect(await passkeysOf(account.userId)).toBe(0);
      const { challengeId, options } = await signInOptions();
      await passkeyLogin({ challengeId, response: account.authenticator.assert(options, { origin: ORIGIN }) }).expect(401);
    });
  });

  describe('re-authentication (step-up) with a passkey', () => {
    const reauthenticate = (tokens: TokenResponse, body: object) =>
      api.http().post('/auth/reauthenticate').set('Authorization', bearer(tokens)).send(body);
    const stepUpOperation = (tokens: TokenResponse) => api.http().post('/account/passkeys/options').set('Authorization', bearer(tokens));

    it("gives the same device a fresh auth_time (amr hwk,user,mfa) for the caller's own passkey; its refresh token rotates; reauthenticated is recorded", async () => {
      const account = await withPasskey();
      api.clock.advance(11 * 60_000);
      try {
        await stepUpOperation(account.tokens).expect(401);
        const { challengeId, options } = await signInOptions();
        const response = await reauthenticate(account.tokens, {
          challengeId,
          response: account.authenticator.assert(options, { origin: ORIGIN }),
        }).expect(200);
        expect(response.headers['cache-control']).toBe('no-store');
        expect(response.body.device_id).toBe(account.tokens.device_id);
        const { payload } = decodeJwt(response.body.access_token);
        expect(payload).toMatchObject({ sid: account.tokens.device_id, amr: ['hwk', 'user', 'mfa'] });
        expect(payload.auth_time).toBe(Math.floor(api.clock.now() / 1000));
        expect(response.body.refresh_token).not.toBe(account.tokens.refresh_token);
        await stepUpOperation(response.body).expect(200);
        expect(await eventsOf(account.userId, 'reauthenticated')).toBe(1);
        expect(await devicesOf(account.userId)).toBe(1);
      } finally {
        api.clock.advance(-11 * 60_000);
      }
    });

    it("refuses another account's passkey, a foreign origin and a spent challenge (401), and the device's auth_time stays stale", async () => {
      const account = await withPasskey();
      const stranger = await withPasskey();
      api.clock.advance(11 * 60_000);
      try {
        const other = await signInOptions();
        const refused = await reauthenticate(account.tokens, {
          challengeId: other.challengeId,
          response: stranger.authenticator.assert(other.options, { origin: ORIGIN }),
        });
        expect(refused.status).toBe(401);
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);

        const foreign = await signInOptions();
        await reauthenticate(account.tokens, {
          challengeId: foreign.challengeId,
          response: account.authenticator.assert(foreign.options, { origin: 'https://evil.example' }),
        }).expect(401);

        const spent = await signInOptions();
        const assertion = account.authenticator.assert(spent.options, { origin: ORIGIN });
        await passkeyLogin({ challengeId: spent.challengeId, response: assertion }).expect(200);
        await reauthenticate(account.tokens, { challengeId: spent.challengeId, response: assertion }).expect(401);

        await stepUpOperation(account.tokens).expect(401);
        const device = await api.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: account.tokens.device_id });
        expect(device.amr).toBe('pwd');
        expect(await eventsOf(account.userId, 'reauthenticated')).toBe(0);
      } finally {
        api.clock.advance(-11 * 60_000);
      }
    });

    it('answers 400 for a body with both the password and an assertion, or with neither', async () => {
      const account = await withPasskey();
      const { challengeId, options } = await signInOptions();
      const response = account.authenticator.assert(options, { origin: ORIGIN });
      for (const body of [{ password: account.password, challengeId, response }, {}, { challengeId }]) {
        const refused = await reauthenticate(account.tokens, body);
        expect(refused.status).toBe(400);
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      // Nothing was spent: the assertion still works.
      await reauthenticate(account.tokens, { challengeId, response }).expect(200);
    });
  });

  it('counts passkey sign-ins against the per-IP sign-in limit, before verifying, with password sign-ins', async () => {
    const limited = await startTestApi({ PUBLIC_URL, DASHBOARD_URL, LOGIN_RATE_LIMIT: '2/15m' });
    try {
      const email = `limited-${Date.now()}@example.com`;
      await limited.http().post('/auth/register').send({ email, password: 'correct horse battery' }).expect(201);
      for (let attempt = 0; attempt < 2; attempt++) {
        const { challengeId } = (await limited.http().post('/auth/passkey/options').expect(200)).body;
        await limited
          .http()
          .post('/auth/passkey/login')
          .send({ challengeId, response: { id: 'x' }, device: { name: 'x' } })
          .expect(401);
      }
      const { challengeId } = (await limited.http().post('/auth/passkey/options').expect(200)).body;
      const refused = await limited
        .http()
        .post('/auth/passkey/login')
        .send({ challengeId, response: { id: 'x' }, device: { name: 'x' } });
      expect(refused.status).toBe(429);
      // The challenge was not even spent: the attempt was refused before any check.
      expect(await limited.dataSource.getRepository(PasskeyChallengeEntity).countBy({ id: challengeId })).toBe(1);
      await limited
        .http()
        .post('/auth/login')
        .send({ email, password: 'correct horse battery', device: { name: 'x' } })
        .expect(429);
    } finally {
      await limited.close();
    }
  });
});
