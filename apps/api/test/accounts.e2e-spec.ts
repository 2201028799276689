import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MailReceiver, type ReceivedMail } from '../../../test/support/mail-receiver.js';
import { bearer, decodeJwt, login, refresh, startTestApi, waitFor, type TestApi } from './support/test-api.js';

// API.md § Accounts: every flow end to end, its mails delivered over SMTP to a real server
// (smtp-server) and read back with mailparser, the mailed link's token used as a user would.

const FEED_TOKEN = 'accounts-test-revocation-feed-token-32-bytes!';
const PASSWORD = 'correct horse battery';
let counter = 0;
const newEmail = () => `account${++counter}-${Date.now()}@example.com`;

/** Polls until the API's mail outbox is empty: every mail it queued has been handed to the SMTP server. */
async function outboxSent(api: TestApi): Promise<void> {
  await waitFor(async () => Number((await api.dataSource.query('SELECT COUNT(*) AS n FROM mail_outbox'))[0].n) === 0);
}

/** The `token` of the first link of a mail (a dashboard landing page's address). */
function tokenOf(mail: ReceivedMail): string {
  const link = mail.links.find((candidate) => candidate.includes('token='));
  if (!link) throw new Error(`no link with a token in "${mail.subject}"`);
  return new URL(link).searchParams.get('token')!;
}

describe('accounts: verification, recovery, change, deletion (e2e, real SMTP)', () => {
  let receiver: MailReceiver;
  let api: TestApi;

  beforeAll(async () => {
    receiver = await new MailReceiver().start();
    api = await startTestApi({
      SMTP_URL: receiver.url,
      MAIL_FROM: 'Device Auth <no-reply@auth.example>',
      DASHBOARD_URL: 'https://dash.example.com',
      REVOCATION_FEED_TOKEN: FEED_TOKEN,
    });
  });
  afterAll(async () => {
    await api.close();
    await receiver.stop();
  });

  async function register(email = newEmail()): Promise<{ email: string; userId: string; verification: ReceivedMail }> {
    const response = await api.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
    const [verification] = await receiver.waitForMails(email);
    return { email, userId: response.body.id, verification };
  }

  async function account(accessToken: string) {
    return (await api.http().get('/account').set('Authorization', bearer(accessToken)).expect(200)).body;
  }

  function expectInvalidToken(response: { status: number; body: Record<string, unknown> }): void {
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ status: 400, error: 'invalid_token' });
  }

  describe('email verification', () => {
    it('mails a link at registration that verifies the address once, from the dashboard URL', async () => {
      const { email, verification } = await register();
      expect(verification.from).toBe('no-reply@auth.example');
      expect(verification.subject).toBe('Confirm your email address');
      expect(verification.links[0]).toMatch(/^https:\/\/dash\.example\.com\/verify-email\?token=[A-Za-z0-9_-]{43}$/);
      expect(verification.html).toContain('https://dash.example.com/verify-email?token&#x3D;');
      const tokens = await login(api, email, PASSWORD);
      expect(await account(tokens.access_token)).toMatchObject({ email, emailVerified: false, passkeys: 0, totp: false });

      await api
        .http()
        .post('/auth/email/verify')
        .send({ token: tokenOf(verification) })
        .expect(204);
      expect(await account(tokens.access_token)).toMatchObject({ emailVerified: true });
      expectInvalidToken(
        await api
          .http()
          .post('/auth/email/verify')
          .send({ token: tokenOf(verification) }),
      );
    });

    it('mails a new link on request (one a minute per account: 429 within it), and the newer link makes the older useless', async () => {
      const { email, verification } = await register();
      const tokens = await login(api, email, PASSWORD);
      // The registration's mail counts as nothing: the limit is on requests.
      await api.http().post('/auth/email/verify/request').set('Authorization', bearer(tokens)).expect(202);
      const again = await api.http().post('/auth/email/verify/request').set('Authorization', bearer(tokens));
      expect(again.status).toBe(429);
      expect(Number(again.headers['retry-after'])).toBeGreaterThan(0);
      const [, newer] = await receiver.waitForMails(email, 2);
      expectInvalidToken(
        await api
          .http()
          .post('/auth/email/verify')
          .send({ token: tokenOf(verification) }),
      );
      await api
        .http()
        .post('/auth/email/verify')
        .send({ token: tokenOf(newer) })
        .expect(204);
    });

    it('answers every unusable token alike — unknown, malformed, empty — and changes nothing', async () => {
      const bodies = [];
      for (const token of ['A'.repeat(43), 'not a token', '', 'x'.repeat(512)]) {
        const response = await api.http().post('/auth/email/verify').send({ token });
        expectInvalidToken(response);
        bodies.push(response.body);
      }
      expect(new Set(bodies.map((body) => JSON.stringify(body))).size).toBe(1);
    });
  });

  describe('password reset', () => {
    it('answers 202 with the same body for an address with an account and one without; only the account gets a mail', async () => {
      const { email } = await register();
      const stranger = newEmail();
      const known = await api.http().post('/auth/password/forgot').send({ email });
      const unknown = await api.http().post('/auth/password/forgot').send({ email: stranger });
      expect(known.status).toBe(202);
      expect(unknown.status).toBe(202);
      expect(known.text).toBe(unknown.text);
      const [, reset] = await receiver.waitForMails(email, 2);
      expect(reset.subject).toBe('Reset your password');
      expect(reset.text).toContain('for 30 minutes');
      // The known address's mail has arrived; the stranger's would have been queued at the same moment.
      expect(receiver.to(stranger)).toEqual([]);
    });

    it('sets the password with the mailed link, ends every device (refresh: password_changed; access token refused), and the link works once', async () => {
      const { email } = await register();
      const phone = await login(api, email, PASSWORD, { name: 'Phone' });
      const laptop = await login(api, email, PASSWORD, { name: 'Laptop' });
      await api.http().post('/auth/password/forgot').send({ email }).expect(202);
      const mails = await receiver.waitForMails(email, 3); // verification, new-device alert, reset
      const reset = mails.find((mail) => mail.subject === 'Reset your password')!;

      await api
        .http()
        .post('/auth/password/reset')
        .send({ token: tokenOf(reset), newPassword: 'a brand new password' })
        .expect(204);
      for (const device of [phone, laptop]) {
        const refused = await refresh(api, device.refresh_token);
        expect(refused.status).toBe(400);
        expect(refused.body).toMatchObject({ error: 'invalid_grant', reason: 'password_changed' });
        await api.http().get('/me').set('Authorization', bearer(device)).expect(401);
      }
      await api
        .http()
        .post('/auth/login')
        .send({ email, password: PASSWORD, device: { name: 'Old' } })
        .expect(401);
      const signedIn = await login(api, email, 'a brand new password');
      // The reset link reached the address: it counts as verified.
      expect(await account(signedIn.access_token)).toMatchObject({ emailVerified: true });
      expectInvalidToken(
        await api
          .http()
          .post('/auth/password/reset')
          .send({ token: tokenOf(reset), newPassword: 'yet another password' }),
      );
    });

    it('refuses an older link once a newer one was requested, and a link past PASSWORD_RESET_TTL', async () => {
      const { email } = await register();
      // The older link's mail arrives before the newer one is asked for: the outbox may send two
      // queued mails in either order, and the test must know which link is which.
      await api.http().post('/auth/password/forgot').send({ email }).expect(202);
      const [older] = (await receiver.waitForMails(email, 2)).filter((mail) => mail.subject === 'Reset your password');
      await api.http().post('/auth/password/forgot').send({ email }).expect(202);
      const newer = (await receiver.waitForMails(email, 3))
        .filter((mail) => mail.subject === 'Reset your password')
        .find((mail) => mail !== older)!;
      expectInvalidToken(
        await api
          .http()
          .post('/auth/password/reset')
          .send({ token: tokenOf(older), newPassword: 'another password' }),
      );
      api.clock.advance(31 * 60_000);
      try {
        expectInvalidToken(
          await api
            .http()
            .post('/auth/password/reset')
            .send({ token: tokenOf(newer), newPassword: 'another password' }),
        );
      } finally {
        api.clock.advance(-31 * 60_000);
      }
      // Nothing changed: the old password still signs in.
      await login(api, email, PASSWORD);
    });

    it('sends at most the limit’s number of mails for a burst of 30 parallel requests for one address (the rest get 429)', async () => {
      const { email } = await register();
      const statuses = await Promise.all(
        Array.from({ length: 30 }, () =>
          api
            .http()
            .post('/auth/password/forgot')
            .send({ email })
            .then((response) => response.status),
        ),
      );
      expect(statuses.filter((status) => status === 202)).toHaveLength(3);
      expect(statuses.filter((status) => status === 429)).toHaveLength(27);
      await receiver.waitForMails(email, 4);
      // Every mail queued has gone out (a fourth reset would have been queued with the others), then count.
      await outboxSent(api);
      expect(receiver.to(email).filter((mail) => mail.subject === 'Reset your password')).toHaveLength(3);
    });
  });

  describe('email change', () => {
    it('mails a link to the new address and a notice to the old; the link makes the new address the account’s, verified', async () => {
      const { email } = await register();
      const tokens = await login(api, email, PASSWORD);
      const target = newEmail();
      await api.http().post('/account/email').set('Authorization', bearer(tokens)).send({ newEmail: target }).expect(202);
      const [confirm] = await receiver.waitForMails(target);
      expect(confirm.subject).toBe('Confirm your new email address');
      const notice = (await receiver.waitForMails(email, 2)).find((mail) => mail.subject.includes('changing its email'))!;
      expect(notice.text).toContain(target);
      // Nothing changes before the link is used.
      expect(await account(tokens.access_token)).toMatchObject({ email });

      await api
        .http()
        .post('/account/email/confirm')
        .send({ token: tokenOf(confirm) })
        .expect(204);
      expect(await account(tokens.access_token)).toMatchObject({ email: target, emailVerified: true });
      // Other devices stay signed in; the new address signs in, the old one does not.
      await api.http().get('/me').set('Authorization', bearer(tokens)).expect(200);
      await login(api, target, PASSWORD);
      await api
        .http()
        .post('/auth/login')
        .send({ email, password: PASSWORD, device: { name: 'x' } })
        .expect(401);
      expectInvalidToken(
        await api
          .http()
          .post('/account/email/confirm')
          .send({ token: tokenOf(confirm) }),
      );
    });

    it('answers 202 for an address that already has an account, changes nothing, and tells that address’s owner', async () => {
      const mine = await register();
      const theirs = await register();
      const tokens = await login(api, mine.email, PASSWORD);
      const response = await api.http().post('/account/email').set('Authorization', bearer(tokens)).send({ newEmail: theirs.email });
      expect(response.status).toBe(202);
      const [, notice] = await receiver.waitForMails(theirs.email, 2);
      expect(notice.subject).toBe('Someone tried to use your email address');
      expect(await account(tokens.access_token)).toMatchObject({ email: mine.email });
    });
  });

  describe('deletion', () => {
    it('revokes every device, erases the personal data, keeps the revocations in the feed, and frees the address', async () => {
      const { email, userId } = await register();
      const first = await login(api, email, PASSWORD, { name: "Ann's phone" });
      const second = await login(api, email, PASSWORD, { name: "Ann's tablet" });
      await api.http().delete('/account').set('Authorization', bearer(first)).expect(204);

      for (const device of [first, second]) {
        await api.http().get('/me').set('Authorization', bearer(device)).expect(401);
        expect((await refresh(api, device.refresh_token)).body).toMatchObject({ error: 'invalid_grant', reason: 'revoked' });
      }
      const db = api.dataSource;
      const users = await db.query(`SELECT email, password_hash, deleted_at FROM users WHERE id = '${userId}'`);
      expect(users).toHaveLength(1);
      expect(users[0].email).toBe(`deleted:${userId}`);
      expect(users[0].password_hash).toBe('');
      expect(JSON.stringify(await db.query('SELECT * FROM users'))).not.toContain(email);
      const devices = await db.query(`SELECT name, ip, user_agent FROM devices WHERE user_id = '${userId}'`);
      expect(devices).toHaveLength(2);
      for (const device of devices) expect(device).toEqual({ name: 'deleted', ip: null, user_agent: null });
      const events = await db.query(`SELECT type, ip, user_agent, device_name FROM security_events WHERE user_id = '${userId}'`);
      expect(events).toEqual([{ type: 'account_deleted', ip: null, user_agent: null, device_name: null }]);
      expect(await db.query(`SELECT id FROM account_tokens WHERE user_id = '${userId}'`)).toEqual([]);
      expect(await db.query(`SELECT id FROM mail_outbox WHERE user_id = '${userId}'`)).toEqual([]);
      // Refresh tokens stay (hashes, all spent) so that a stolen one still answers `revoked`; the pruner ends them.
      const live = await db.query(
        `SELECT id FROM refresh_tokens WHERE rotated_at IS NULL AND device_id IN (SELECT id FROM devices WHERE user_id = '${userId}')`,
      );
      expect(live).toEqual([]);

      const feed = await api.http().get('/revocations').set('Authorization', `Bearer ${FEED_TOKEN}`).expect(200);
      const revokedIds = (feed.body.revoked as { deviceId: string }[]).map((entry) => entry.deviceId);
      const deviceIds = (await db.query(`SELECT id FROM devices WHERE user_id = '${userId}'`)).map((row: { id: string }) => row.id);
      expect(revokedIds).toEqual(expect.arrayContaining(deviceIds));

      await api.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
    });
  });

  describe('step-up (RFC 9470)', () => {
    it('carries auth_time and amr in access tokens; a refresh keeps auth_time', async () => {
      const { email } = await register();
      const before = Math.floor(Date.now() / 1000);
      const tokens = await login(api, email, PASSWORD);
      const { payload } = decodeJwt(tokens.access_token);
      expect(payload.amr).toEqual(['pwd']);
      expect(payload.auth_time).toBeGreaterThanOrEqual(before - 1);
      api.clock.advance(5000);
      try {
        const refreshed = (await refresh(api, tokens.refresh_token).expect(200)).body;
        expect(decodeJwt(refreshed.access_token).payload.auth_time).toBe(payload.auth_time);
      } finally {
        api.clock.advance(-5000);
      }
    });

    it('refuses email change and deletion past STEP_UP_MAX_AGE with an insufficient_user_authentication challenge, changing nothing; POST /auth/reauthenticate opens them again', async () => {
      const { email } = await register();
      const tokens = await login(api, email, PASSWORD);
      api.clock.advance(11 * 60_000);
      try {
        // A refresh does not help: it keeps auth_time.
        const refreshed = (await refresh(api, tokens.refresh_token).expect(200)).body;
        for (const request of [
          () => api.http().post('/account/email').set('Authorization', bearer(refreshed)).send({ newEmail: newEmail() }),
          () => api.http().delete('/account').set('Authorization', bearer(refreshed)),
        ]) {
          const refused = await request();
          expect(refused.status).toBe(401);
          expect(refused.body).toMatchObject({ error: 'insufficient_user_authentication' });
          expect(refused.headers['www-authenticate']).toMatch(
            /^Bearer error="insufficient_user_authentication", error_description="[^"]+", max_age=600$/,
          );
        }
        expect(await account(refreshed.access_token)).toMatchObject({ email });

        const wrong = await api
          .http()
          .post('/auth/reauthenticate')
          .set('Authorization', bearer(refreshed))
          .send({ password: 'not my password' });
        expect(wrong.status).toBe(401);
        const again = await api
          .http()
          .post('/auth/reauthenticate')
          .set('Authorization', bearer(refreshed))
          .send({ password: PASSWORD })
          .expect(200);
        expect(again.body.token_type).toBe('Bearer');
        expect(decodeJwt(again.body.access_token).payload.sid).toBe(decodeJwt(refreshed.access_token).payload.sid);
        // The refresh token rotated: the device has one live token, the new one (the one before is spent,
        // and presenting it again would be reuse).
        const live = await api.dataSource.query(
          `SELECT COUNT(*) AS n FROM refresh_tokens WHERE rotated_at IS NULL AND device_id = '${String(decodeJwt(again.body.access_token).payload.sid)}'`,
        );
        expect(Number(live[0].n)).toBe(1);
        await refresh(api, again.body.refresh_token).expect(200);
        // A refresh keeps the fresh auth_time; the access token from reauthenticate opens deletion.
        await api.http().delete('/account').set('Authorization', bearer(again.body)).expect(204);
      } finally {
        api.clock.advance(-11 * 60_000);
      }
    });
  });

  describe('sign-in mails', () => {
    it('alerts the account when a new device signs in beside an active one (not on the first device)', async () => {
      const { email } = await register();
      await login(api, email, PASSWORD, { name: 'First phone', platform: 'ios' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.to(email).map((mail) => mail.subject)).toEqual(['Confirm your email address']);
      await login(api, email, PASSWORD, { name: 'Unknown <b>laptop</b>', platform: 'web' });
      const [, alert] = await receiver.waitForMails(email, 2);
      expect(alert.subject).toBe('New sign-in: Unknown <b>laptop</b>');
      expect(alert.text).toMatch(/New sign-in: Unknown <b>laptop<\/b>, web, \d{4}-\d\d-\d\d \d\d:\d\d UTC, /);
      expect(alert.html).toContain('Unknown &lt;b&gt;laptop&lt;/b&gt;');
      expect(alert.links).toContain('https://dash.example.com/devices');
    });
  });
});

describe('account settings (e2e, real SMTP)', () => {
  let receiver: MailReceiver;
  beforeAll(async () => {
    receiver = await new MailReceiver().start();
  });
  afterAll(() => receiver.stop());

  it('REQUIRE_EMAIL_VERIFICATION: the right password on an unverified account is 403 email_not_verified with a new link; a wrong one stays 401', async () => {
    const api = await startTestApi({ SMTP_URL: receiver.url, REQUIRE_EMAIL_VERIFICATION: 'true' });
    try {
      const email = newEmail();
      await api.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
      await receiver.waitForMails(email);
      const wrong = await api
        .http()
        .post('/auth/login')
        .send({ email, password: 'wrong password!', device: { name: 'x' } });
      expect(wrong.status).toBe(401);
      const refused = await api
        .http()
        .post('/auth/login')
        .send({ email, password: PASSWORD, device: { name: 'x' } });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ status: 403, error: 'email_not_verified' });
      const [, fresh] = await receiver.waitForMails(email, 2);
      await api
        .http()
        .post('/auth/email/verify')
        .send({ token: tokenOf(fresh) })
        .expect(204);
      await login(api, email, PASSWORD);
    } finally {
      await api.close();
    }
  });

  it('MAX_DEVICES_PER_USER: a sign-in past the cap revokes the least recently active device (reason device_limit)', async () => {
    const api = await startTestApi({ SMTP_URL: receiver.url, MAX_DEVICES_PER_USER: '2', NEW_DEVICE_ALERTS: 'false' });
    try {
      const email = newEmail();
      await api.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
      const oldest = await login(api, email, PASSWORD, { name: 'Oldest' });
      api.clock.advance(1000);
      const middle = await login(api, email, PASSWORD, { name: 'Middle' });
      api.clock.advance(1000);
      const newest = await login(api, email, PASSWORD, { name: 'Newest' });
      expect((await refresh(api, oldest.refresh_token)).body).toMatchObject({ error: 'invalid_grant' });
      await refresh(api, middle.refresh_token).expect(200);
      const devices = await api.http().get('/devices').set('Authorization', bearer(newest)).expect(200);
      expect(devices.body.devices.map((device: { name: string }) => device.name).sort()).toEqual(['Middle', 'Newest']);
      const [row] = await api.dataSource.query("SELECT revoked_reason FROM devices WHERE name = 'Oldest'");
      expect(row.revoked_reason).toBe('device_limit');
      // NEW_DEVICE_ALERTS=false: the verification mail only.
      await receiver.waitForMails(email);
      await outboxSent(api);
      expect(receiver.to(email)).toHaveLength(1);
    } finally {
      await api.close();
    }
  });
});
