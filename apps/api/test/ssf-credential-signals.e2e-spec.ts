import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generate } from 'otplib';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import type { TokenResponse } from '@app/auth';
import { KeyRing } from '@app/keys';
import { ACCOUNT_PURGED, CREDENTIAL_CHANGE, SESSION_REVOKED, VERIFICATION } from '@app/ssf';
import { MailReceiver, type ReceivedMail } from '../../../test/support/mail-receiver.js';
import { addReceiver, SsfTestReceiver, type ReceivedSet, type StreamConfig } from '../../../test/support/ssf-receiver.js';
import { SoftwareAuthenticator } from './support/software-authenticator.js';
import { listen } from './support/ssf.js';
import { bearer, login, registerAndLogin, startTestApi, waitFor, type SignedIn, type TestApi } from './support/test-api.js';

/**
 * API.md § Shared Signals, the account's own signals end to end: a password reset from a mailed
 * link (real SMTP), a passkey added and removed (a software authenticator), TOTP confirmed and
 * turned off (otplib codes) and DELETE /account each put exactly their SETs on a poll stream
 * (RFC 8936): CAEP credential-change, RISC account-purged, and the session-revoked SETs the
 * same request causes; a refused attempt puts none. The receiver (test/support/ssf-receiver.ts)
 * is written with `jose` alone and verifies every SET at the metadata's `jwks_uri` with `typ`,
 * issuer and audience pinned. Signed by managed keys (the default), the current one's `kid`.
 *
 * "Exactly": after each step the test asks for a verification SET with a state of its own and
 * polls (acknowledging everything) until that marker arrives. The triggers queue a step's SETs
 * in its own statements, before its answer, and the marker is queued after that answer, so once
 * the marker is in hand, everything the step caused is too (no sleeping, no latency bound).
 */
const AUDIENCE = 'https://signals.receiver.example';
const DASHBOARD_URL = 'https://dash.example.test';
const PASSWORD = 'correct horse battery';
const STEP_MS = 30_000;

const userSubject = (userId: string) => ({ format: 'opaque', id: userId });
const sessionSubject = (userId: string, deviceId: string) => ({
  format: 'complex',
  user: { format: 'opaque', id: userId },
  session: { format: 'opaque', id: deviceId },
});

/** The `token` of a mailed link. */
function tokenOf(mail: ReceivedMail): string {
  const link = mail.links.find((candidate) => candidate.includes('token='));
  if (!link) throw new Error(`no link with a token in "${mail.subject}"`);
  return new URL(link).searchParams.get('token')!;
}

describe('Shared Signals: credential changes and account deletion (e2e)', () => {
  let mail: MailReceiver;
  let api: TestApi;
  let base: string;
  let receiver: SsfTestReceiver;
  let stream: StreamConfig;
  /** Every SET the receiver accepted in this suite, markers included: their jtis must all differ. */
  const received: ReceivedSet[] = [];
  let markers = 0;

  beforeAll(async () => {
    mail = await new MailReceiver().start();
    // JWT_SECRET unset (startTestApi's default is a static HS256 secret): managed ES256 keys.
    api = await startTestApi({
      JWT_SECRET: '',
      KEY_ENCRYPTION_SECRET: 'ssf-credential-signals-key-encryption-secret',
      SMTP_URL: mail.url,
      DASHBOARD_URL,
    });
    base = await listen(api);
    receiver = new SsfTestReceiver(base, await addReceiver(api.dataSource, 'signals-receiver', AUDIENCE), AUDIENCE);
    await receiver.discover();
    stream = await receiver.createStream('poll', [SESSION_REVOKED, CREDENTIAL_CHANGE, ACCOUNT_PURGED]);
  });

  afterAll(async () => {
    await api?.close();
    await mail?.stop();
  });

  /**
   * The SETs queued on the stream since the last call, markers left out: a verification SET
   * with a fresh state is requested, and the stream polled (acknowledging all it answered)
   * until that marker is among the answers.
   */
  async function newSets(): Promise<ReceivedSet[]> {
    const state = `marker-${++markers}`;
    const verify = await receiver.call('POST', receiver.metadata.verification_endpoint, { stream_id: stream.stream_id, state });
    expect(verify.status).toBe(204);
    const seen: ReceivedSet[] = [];
    const isMarker = (set: ReceivedSet) => set.claims.events[VERIFICATION]?.state === state;
    await waitFor(async () => {
      const answer = await receiver.poll(stream, { ack: seen.map((set) => set.claims.jti!), returnImmediately: true });
      seen.push(...answer.sets.filter((set) => !seen.some((known) => known.claims.jti === set.claims.jti)));
      return seen.some(isMarker);
    }, 20_000);
    const done = await receiver.poll(stream, { ack: seen.map((set) => set.claims.jti!), returnImmediately: true });
    expect(done).toEqual({ sets: [], moreAvailable: false });
    received.push(...seen);
    const marker = seen.find(isMarker)!;
    expect(marker.claims).toMatchObject({ sub_id: { format: 'opaque', id: stream.stream_id }, events: { [VERIFICATION]: { state } } });
    return seen.filter((set) => set !== marker);
  }

  /** The SET is signed as API.md says (ES256, the current managed key, `secevent+jwt`) and carries exactly these claims. */
  function expectSet(set: ReceivedSet, subject: object, type: string, event: Record<string, unknown>, since: number): void {
    expect(set.header).toEqual({ alg: 'ES256', kid: api.app.get(KeyRing).signingKey(api.clock.now()).kid, typ: 'secevent+jwt' });
    expect(set.claims).toEqual({
      iss: api.config.jwt.issuer,
      aud: AUDIENCE,
      jti: expect.any(String),
      iat: expect.any(Number),
      sub_id: subject,
      events: { [type]: event },
    });
    // Seconds, not milliseconds.
    const now = Math.ceil(Date.now() / 1000);
    expect(set.claims.iat).toBeGreaterThanOrEqual(Math.floor(since / 1000));
    expect(set.claims.iat).toBeLessThanOrEqual(now);
    if ('event_timestamp' in event) {
      const timestamp = set.claims.events[type]!.event_timestamp as number;
      expect(timestamp).toBeGreaterThanOrEqual(Math.floor(since / 1000));
      expect(timestamp).toBeLessThanOrEqual(now);
    }
  }

  function expectCredentialChange(set: ReceivedSet, userId: string, credentialType: string, changeType: string, since: number): void {
    expectSet(
      set,
      userSubject(userId),
      CREDENTIAL_CHANGE,
      { credential_type: credentialType, change_type: changeType, initiating_entity: 'user', event_timestamp: expect.any(Number) },
      since,
    );
  }

  function expectSessionRevoked(set: ReceivedSet, userId: string, deviceId: string, reason: string, since: number): void {
    expectSet(
      set,
      sessionSubject(userId, deviceId),
      SESSION_REVOKED,
      { initiating_entity: 'user', event_timestamp: expect.any(Number), reason_admin: { en: reason } },
      since,
    );
  }

  const byType = (sets: ReceivedSet[], type: string) => sets.filter((set) => type in set.claims.events);
  const deviceOf = (tokens: TokenResponse) => tokens.device_id;

  it('publishes its keys where the metadata says, and the stream delivers the three event types', () => {
    expect(receiver.metadata).toMatchObject({ issuer: api.config.jwt.issuer, jwks_uri: `${base}/.well-known/jwks.json` });
    expect(stream.aud).toBe(AUDIENCE);
    expect([...stream.events_delivered].sort()).toEqual([ACCOUNT_PURGED, CREDENTIAL_CHANGE, SESSION_REVOKED].sort());
  });

  it('password reset: one credential-change (password, update) for the user, beside the session-revoked of its device; the request, a wrong token and a spent link emit nothing', async () => {
    const user = await registerAndLogin(api, { name: 'Reset phone' });
    expect(await newSets()).toEqual([]);

    await api.http().post('/auth/password/forgot').send({ email: user.email }).expect(202);
    const resetMail = () => mail.to(user.email).find((sent) => sent.subject === 'Reset your password');
    await waitFor(async () => resetMail() !== undefined, 20_000);
    const token = tokenOf(resetMail()!);
    // The mailed token with its last characters changed.
    const forged = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    const wrong = await api.http().post('/auth/password/reset').send({ token: forged, newPassword: 'a brand new password' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: 'invalid_token' });
    expect(await newSets()).toEqual([]);

    const since = Date.now();
    await api.http().post('/auth/password/reset').send({ token, newPassword: 'a brand new password' }).expect(204);
    const sets = await newSets();
    expect(sets).toHaveLength(2);
    const [change] = byType(sets, CREDENTIAL_CHANGE);
    expectCredentialChange(change!, user.userId, 'password', 'update', since);
    const [revoked] = byType(sets, SESSION_REVOKED);
    expectSessionRevoked(revoked!, user.userId, deviceOf(user.tokens), 'The password changed: the device was signed out.', since);

    // The link is spent: a second use is refused and emits nothing.
    expect((await api.http().post('/auth/password/reset').send({ token, newPassword: 'yet another password' })).status).toBe(400);
    await login(api, user.email, 'a brand new password');
    expect(await newSets()).toEqual([]);
  });

  describe('passkeys', () => {
    const creationOptions = async (tokens: TokenResponse): Promise<PublicKeyCredentialCreationOptionsJSON> =>
      (await api.http().post('/account/passkeys/options').set('Authorization', bearer(tokens)).expect(200)).body;

    it('registered: one credential-change (fido2-platform, create); removed after step-up: one (fido2-platform, delete); refused registrations emit nothing', async () => {
      const user: SignedIn = await registerAndLogin(api);
      expect(await newSets()).toEqual([]);

      // Refused: a response from a foreign origin (and below, one to a challenge already spent).
      const foreign = new SoftwareAuthenticator().register(await creationOptions(user.tokens), { origin: 'https://evil.example' });
      expect(
        (await api.http().post('/account/passkeys').set('Authorization', bearer(user.tokens)).send({ response: foreign })).status,
      ).toBe(401);
      expect(await newSets()).toEqual([]);

      const options = await creationOptions(user.tokens);
      let since = Date.now();
      const added = await api
        .http()
        .post('/account/passkeys')
        .set('Authorization', bearer(user.tokens))
        .send({ response: new SoftwareAuthenticator().register(options, { origin: DASHBOARD_URL }), name: 'Laptop' })
        .expect(201);
      const created = await newSets();
      expect(created).toHaveLength(1);
      expectCredentialChange(created[0]!, user.userId, 'fido2-platform', 'create', since);

      const replayed = new SoftwareAuthenticator().register(options, { origin: DASHBOARD_URL });
      expect(
        (await api.http().post('/account/passkeys').set('Authorization', bearer(user.tokens)).send({ response: replayed })).status,
      ).toBe(401);
      expect(await newSets()).toEqual([]);

      // Step-up (RFC 9470) as a dashboard does it before a sensitive change: reauthenticate emits nothing itself.
      const fresh = (
        await api.http().post('/auth/reauthenticate').set('Authorization', bearer(user.tokens)).send({ password: PASSWORD }).expect(200)
      ).body as TokenResponse;
      since = Date.now();
      await api
        .http()
        .delete(`/account/passkeys/${added.body.id as string}`)
        .set('Authorization', bearer(fresh))
        .expect(204);
      const deleted = await newSets();
      expect(deleted).toHaveLength(1);
      expectCredentialChange(deleted[0]!, user.userId, 'fido2-platform', 'delete', since);

      // Removing it again: 404, nothing.
      await api
        .http()
        .delete(`/account/passkeys/${added.body.id as string}`)
        .set('Authorization', bearer(fresh))
        .expect(404);
      expect(await newSets()).toEqual([]);
    });
  });

  describe('TOTP', () => {
    /** The code an authenticator app shows `steps` periods from the API's clock. */
    const code = (secret: string, steps = 0) => generate({ secret, epoch: Math.floor(api.clock.now() / 1000) + (steps * STEP_MS) / 1000 });
    /** A 6-digit code none of the accepted steps (previous, current, next) shows. */
    const wrongCode = async (secret: string) => {
      const accepted = new Set([await code(secret, -1), await code(secret), await code(secret, 1)]);
      let candidate = 0;
      while (accepted.has(String(candidate).padStart(6, '0'))) candidate++;
      return String(candidate).padStart(6, '0');
    };

    it('confirmed: one credential-change (app, create); turned off after step-up: one (app, delete); enrolling, a wrong code and dropping a pending enrolment emit nothing', async () => {
      const user = await registerAndLogin(api);
      expect(await newSets()).toEqual([]);

      const enrolment = await api.http().post('/account/totp').set('Authorization', bearer(user.tokens)).expect(200);
      const secret = enrolment.body.secret as string;
      const wrong = await api
        .http()
        .post('/account/totp/confirm')
        .set('Authorization', bearer(user.tokens))
        .send({ code: await wrongCode(secret) });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error).toBe('invalid_code');
      expect(await newSets()).toEqual([]);

      let since = Date.now();
      await api
        .http()
        .post('/account/totp/confirm')
        .set('Authorization', bearer(user.tokens))
        .send({ code: await code(secret) })
        .expect(200);
      const created = await newSets();
      expect(created).toHaveLength(1);
      expectCredentialChange(created[0]!, user.userId, 'app', 'create', since);

      // Step-up now needs the code too (the confirming step is spent: the next one).
      const fresh = (
        await api
          .http()
          .post('/auth/reauthenticate')
          .set('Authorization', bearer(user.tokens))
          .send({ password: PASSWORD, code: await code(secret, 1) })
          .expect(200)
      ).body as TokenResponse;
      since = Date.now();
      await api.http().delete('/account/totp').set('Authorization', bearer(fresh)).expect(204);
      const deleted = await newSets();
      expect(deleted).toHaveLength(1);
      expectCredentialChange(deleted[0]!, user.userId, 'app', 'delete', since);

      // An enrolment never confirmed was no credential: dropping it emits nothing, and neither does a second DELETE.
      await api.http().post('/account/totp').set('Authorization', bearer(fresh)).expect(200);
      await api.http().delete('/account/totp').set('Authorization', bearer(fresh)).expect(204);
      await api.http().delete('/account/totp').set('Authorization', bearer(fresh)).expect(404);
      expect(await newSets()).toEqual([]);
    });
  });

  it('DELETE /account: one RISC account-purged for the user and a session-revoked for each of its devices; a refused deletion emits nothing', async () => {
    const user = await registerAndLogin(api, { name: 'Main phone' });
    const tablet = await login(api, user.email, user.password, { name: 'Tablet' });
    expect(await newSets()).toEqual([]);

    const since = Date.now();
    await api.http().delete('/account').set('Authorization', bearer(user.tokens)).expect(204);
    const sets = await newSets();
    expect(sets).toHaveLength(3);
    const revoked = byType(sets, SESSION_REVOKED);
    expect(revoked.map((set) => (set.claims.sub_id as { session: { id: string } }).session.id).sort()).toEqual(
      [deviceOf(user.tokens), deviceOf(tablet)].sort(),
    );
    for (const set of revoked) {
      const deviceId = (set.claims.sub_id as { session: { id: string } }).session.id;
      expectSessionRevoked(set, user.userId, deviceId, 'The user revoked this device.', since);
    }
    const [purged] = byType(sets, ACCOUNT_PURGED);
    expectSet(purged!, userSubject(user.userId), ACCOUNT_PURGED, {}, since);
    // Ids only: nothing personal in any of them.
    for (const set of sets)
      for (const personal of [user.email, 'Main phone', 'Tablet']) expect(JSON.stringify(set.claims)).not.toContain(personal);

    // The account is gone: deleting it again is refused and emits nothing.
    expect((await api.http().delete('/account').set('Authorization', bearer(tablet))).status).toBe(401);
    expect(await newSets()).toEqual([]);
  });

  it('gave every SET of the suite a jti of its own', () => {
    expect(received.length).toBeGreaterThan(10);
    const jtis = received.map((set) => set.claims.jti);
    expect(new Set(jtis).size).toBe(jtis.length);
  });
});
