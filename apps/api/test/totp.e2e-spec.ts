import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { calculateThumbprint, generateKeyPair, generateProof } from 'dpop';
import { createHash } from 'node:crypto';
import { generate } from 'otplib';
import { bearer, decodeJwt, login, startTestApi, type TestApi } from './support/test-api.js';

/**
 * The TOTP second factor (API.md § Strong authentication), end to end on the real API: codes
 * are made by otplib from the secret the API answered, as an authenticator app would, at the
 * TestClock's time (advanced by whole 30-second steps where a test needs a fresh code).
 */
const PUBLIC_URL = 'https://auth.example.test';
const PASSWORD = 'correct horse battery';
const STEP_MS = 30_000;
/** SECOND_FACTOR_LIMIT: codes checked per account and hour. */
const ACCOUNT_CODE_LIMIT = 10;
let counter = 0;

interface Account {
  readonly email: string;
  readonly userId: string;
}

interface TotpAccount extends Account {
  readonly secret: string;
  readonly recoveryCodes: string[];
  /** The access token of the device that enrolled. */
  readonly accessToken: string;
}

describe('TOTP second factor (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    // A short STEP_UP_MAX_AGE, so that a test can make a sign-in too old by moving the clock.
    api = await startTestApi({ PUBLIC_URL, STEP_UP_MAX_AGE: '2m' });
  });

  afterAll(async () => {
    await api.close();
  });

  // Each test has accounts of its own, so the clock goes back to real time after each (DPoP
  // proofs are dated by the real clock).
  let advanced = 0;
  const advance = (ms: number) => {
    api.clock.advance(ms);
    advanced += ms;
  };
  afterEach(() => {
    advance(-advanced);
    advanced = 0;
  });

  /** The code an authenticator app shows now (or `steps` periods from now). */
  const code = (secret: string, steps = 0) => generate({ secret, epoch: Math.floor(api.clock.now() / 1000) + (steps * STEP_MS) / 1000 });
  /** Moves to the next time step: the codes of the steps before are spent or stale. */
  const nextStep = () => advance(STEP_MS);
  /** A 6-digit code that is none of the accepted ones (previous, current, next step). */
  const wrongCode = async (secret: string) => {
    const accepted = new Set([await code(secret, -1), await code(secret), await code(secret, 1)]);
    let candidate = 0;
    while (accepted.has(String(candidate).padStart(6, '0'))) candidate++;
    return String(candidate).padStart(6, '0');
  };

  async function register(): Promise<Account> {
    const email = `totp${++counter}-${Date.now()}@example.com`;
    const response = await api.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
    return { email, userId: response.body.id as string };
  }

  /** Registers, signs in, enrols and confirms TOTP. */
  async function withTotp(): Promise<TotpAccount> {
    const account = await register();
    const tokens = await login(api, account.email, PASSWORD);
    const enrolment = await api.http().post('/account/totp').set('Authorization', bearer(tokens)).expect(200);
    const confirmed = await api
      .http()
      .post('/account/totp/confirm')
      .set('Authorization', bearer(tokens))
      .send({ code: await code(enrolment.body.secret) })
      .expect(200);
    return { ...account, secret: enrolment.body.secret, recoveryCodes: confirmed.body.recoveryCodes, accessToken: tokens.access_token };
  }

  /** A right password on a TOTP account: the `mfaToken` of its `mfa_required` answer. */
  async function mfaToken(account: Account): Promise<string> {
    const response = await api
      .http()
      .post('/auth/login')
      .send({ email: account.email, password: PASSWORD, device: { name: 'Second phone', platform: 'ios' } });
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('mfa_required');
    return response.body.mfaToken as string;
  }

  const finish = (token: string, secondFactor: string) => api.http().post('/auth/login/mfa').send({ mfaToken: token, code: secondFactor });

  const devicesOf = async (userId: string) =>
    Number((await api.dataSource.query(`SELECT COUNT(*) AS n FROM devices WHERE user_id = '${userId}'`))[0].n);
  const eventsOf = async (userId: string) =>
    (
      (await api.dataSource.query(`SELECT type FROM security_events WHERE user_id = '${userId}' ORDER BY created_at`)) as { type: string }[]
    ).map((row) => row.type);
  const account = async (accessToken: string) =>
    (await api.http().get('/account').set('Authorization', bearer(accessToken)).expect(200)).body;

  it('enrols (a new enrolment replacing an unconfirmed one), confirms with a code, answers 10 recovery codes once, and then refuses a second enrolment', async () => {
    const { email, userId } = await register();
    const tokens = await login(api, email, PASSWORD);
    const first = await api.http().post('/account/totp').set('Authorization', bearer(tokens)).expect(200);
    expect(first.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(first.body.otpauthUrl);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(url.searchParams.get('secret')).toBe(first.body.secret);
    expect(decodeURIComponent(url.pathname)).toContain(email);
    // Inactive until confirmed: the account still signs in with the password alone.
    expect((await account(tokens.access_token)).totp).toBe(false);
    await login(api, email, PASSWORD);

    const second = await api.http().post('/account/totp').set('Authorization', bearer(tokens)).expect(200);
    expect(second.body.secret).not.toBe(first.body.secret);
    // The first secret was replaced: its code does not confirm.
    const stale = await api
      .http()
      .post('/account/totp/confirm')
      .set('Authorization', bearer(tokens))
      .send({ code: await code(first.body.secret) });
    expect(stale.status).toBe(400);
    expect(stale.body.error).toBe('invalid_code');

    const confirmed = await api
      .http()
      .post('/account/totp/confirm')
      .set('Authorization', bearer(tokens))
      .send({ code: await code(second.body.secret) })
      .expect(200);
    const recoveryCodes = confirmed.body.recoveryCodes as string[];
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const recoveryCode of recoveryCodes) expect(recoveryCode).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
    expect((await account(tokens.access_token)).totp).toBe(true);
    expect(await eventsOf(userId)).toContain('totp_enabled');

    // Confirming again, or enrolling again, is refused while TOTP is on.
    await api
      .http()
      .post('/account/totp/confirm')
      .set('Authorization', bearer(tokens))
      .send({ code: await code(second.body.secret) })
      .expect(409);
    const again = await api.http().post('/account/totp').set('Authorization', bearer(tokens));
    expect(again.status).toBe(409);
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('stores the secret only encrypted and the recovery codes only hashed; totp_enabled is queued for the webhook', async () => {
    const { userId, secret, recoveryCodes } = await withTotp();
    const [row] = (await api.dataSource.query(`SELECT secret_ciphertext FROM totp_factors WHERE user_id = '${userId}'`)) as {
      secret_ciphertext: string;
    }[];
    expect(row.secret_ciphertext).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    const stored = row.secret_ciphertext.toLowerCase();
    expect(stored).not.toContain(secret.toLowerCase());
    expect(stored).not.toContain(Buffer.from(secret).toString('base64url').toLowerCase());
    const hashes = (await api.dataSource.query(`SELECT code_hash FROM recovery_codes WHERE user_id = '${userId}'`)) as {
      code_hash: string;
    }[];
    expect(hashes).toHaveLength(10);
    const storedCodes = JSON.stringify(hashes);
    for (const recoveryCode of recoveryCodes) {
      expect(storedCodes).not.toContain(recoveryCode);
      expect(storedCodes).not.toContain(recoveryCode.replaceAll('-', ''));
    }
    const queued = await api.dataSource.query(
      `SELECT COUNT(*) AS n FROM webhook_deliveries d JOIN security_events e ON e.id = d.id WHERE e.user_id = '${userId}' AND e.type = 'totp_enabled'`,
    );
    expect(Number(queued[0].n)).toBe(1);
  });

  it('answers a right password with mfa_required and an mfaToken, creating no device; a right code then signs in with amr pwd,otp,mfa', async () => {
    const totp = await withTotp();
    const before = await devicesOf(totp.userId);
    const response = await api
      .http()
      .post('/auth/login')
      .send({ email: totp.email, password: PASSWORD, device: { name: 'Second phone', platform: 'ios' } });
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 401, error: 'mfa_required' });
    expect(response.body.mfaToken).toMatch(/^[\w-]{43}$/);
    expect(await devicesOf(totp.userId)).toBe(before);
    // A wrong password is the same 401 as without TOTP: no mfaToken.
    const wrong = await api
      .http()
      .post('/auth/login')
      .send({ email: totp.email, password: 'not the password', device: { name: 'x' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.mfaToken).toBeUndefined();

    nextStep();
    const signedIn = await finish(response.body.mfaToken, await code(totp.secret)).expect(200);
    expect(signedIn.headers['cache-control']).toBe('no-store');
    expect(signedIn.body.token_type).toBe('Bearer');
    const { payload } = decodeJwt(signedIn.body.access_token);
    expect(payload.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(await devicesOf(totp.userId)).toBe(before + 1);
    const devices = await api.http().get('/devices').set('Authorization', bearer(signedIn.body)).expect(200);
    expect(devices.body.devices.find((device: { id: string }) => device.id === payload.sid)).toMatchObject({
      name: 'Second phone',
      platform: 'ios',
    });
    // The mfaToken is spent.
    nextStep();
    const reused = await finish(response.body.mfaToken, await code(totp.secret));
    expect(reused.status).toBe(401);
    expect(reused.body.error).toBe('invalid_mfa_token');
  });

  it('accepts a TOTP code once: the same code is refused on a second sign-in, as is an older one', async () => {
    const totp = await withTotp();
    nextStep();
    const used = await code(totp.secret);
    const older = await code(totp.secret, -1);
    await finish(await mfaToken(totp), used).expect(200);
    const replayed = await finish(await mfaToken(totp), used);
    expect(replayed.status).toBe(401);
    expect(replayed.body.error).toBe('invalid_code');
    const stale = await finish(await mfaToken(totp), older);
    expect(stale.status).toBe(401);
    // The next step's code still works.
    nextStep();
    await finish(await mfaToken(totp), await code(totp.secret)).expect(200);
    // Sent by eight sign-ins at the same moment (a code seen over a shoulder, raced): exactly one is accepted.
    nextStep();
    const racers: string[] = [];
    for (let index = 0; index < 8; index++) racers.push(await mfaToken(totp));
    const racing = await code(totp.secret);
    const answers = await Promise.all(racers.map((token) => finish(token, racing)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
  });

  it('signs in with a recovery code once (event recovery_code_used), typed in any case and without dashes', async () => {
    const totp = await withTotp();
    const [recoveryCode] = totp.recoveryCodes;
    const signedIn = await finish(await mfaToken(totp), recoveryCode.toUpperCase().replaceAll('-', '')).expect(200);
    expect(decodeJwt(signedIn.body.access_token).payload.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(await eventsOf(totp.userId)).toContain('recovery_code_used');
    const again = await finish(await mfaToken(totp), recoveryCode);
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('invalid_code');
    await finish(await mfaToken(totp), totp.recoveryCodes[1]).expect(200);
  });

  it('ends an mfaToken after 5 wrong codes (a right one then fails too); refuses unknown and expired tokens', async () => {
    const totp = await withTotp();
    nextStep();
    const token = await mfaToken(totp);
    const wrong = await wrongCode(totp.secret);
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await finish(token, wrong);
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('invalid_code');
    }
    const ended = await finish(token, await code(totp.secret));
    expect(ended.status).toBe(401);
    expect(ended.body.error).toBe('invalid_mfa_token');

    const unknown = await finish('A'.repeat(43), await code(totp.secret));
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toBe('invalid_mfa_token');

    const expiring = await mfaToken(totp);
    advance(5 * 60_000 + 1000);
    const expired = await finish(expiring, await code(totp.secret));
    expect(expired.status).toBe(401);
    expect(expired.body.error).toBe('invalid_mfa_token');
    // None of this created a device: only the enrolling one exists.
    expect(await devicesOf(totp.userId)).toBe(1);
  });

  it('lets at most the per-account limit of 30 parallel wrong codes reach the check (the rest 429), across several mfaTokens', async () => {
    const totp = await withTotp();
    nextStep();
    // The attacker knows the password: six sign-ins, five codes each (each token allows five).
    const tokens = [];
    for (let index = 0; index < 6; index++) tokens.push(await mfaToken(totp));
    const wrong = await wrongCode(totp.secret);
    const responses = await Promise.all(tokens.flatMap((token) => Array.from({ length: 5 }, () => finish(token, wrong))));
    const statuses = responses.map((response) => response.status);
    const checked = responses.filter((response) => response.status === 401);
    const limited = responses.filter((response) => response.status === 429);
    expect(checked.length + limited.length).toBe(30);
    expect(checked.length).toBeLessThanOrEqual(ACCOUNT_CODE_LIMIT);
    expect(limited.length).toBeGreaterThanOrEqual(30 - ACCOUNT_CODE_LIMIT);
    for (const response of checked) expect(response.body.error).toBe('invalid_code');
    for (const response of limited) expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(statuses.length).toBe(30);
    // The account is locked for the window, even for the right code; after it, the right code signs in.
    const locked = await finish(await mfaToken(totp), await code(totp.secret));
    expect(locked.status).toBe(429);
    advance(60 * 60_000 + 1000);
    await finish(await mfaToken(totp), await code(totp.secret)).expect(200);
  });

  it('binds the device of a finished sign-in to the DPoP key of /auth/login/mfa, as /auth/login does', async () => {
    const totp = await withTotp();
    const keys = await generateKeyPair('ES256');
    const response = await api
      .http()
      .post('/auth/login/mfa')
      .set('DPoP', await generateProof(keys, `${PUBLIC_URL}/auth/login/mfa`, 'POST'))
      // The next step's code (±1 step is accepted): the clock stays on real time for the proof.
      .send({ mfaToken: await mfaToken(totp), code: await code(totp.secret, 1) })
      .expect(200);
    expect(response.body.token_type).toBe('DPoP');
    expect(decodeJwt(response.body.access_token).payload.cnf).toEqual({ jkt: await calculateThumbprint(keys.publicKey) });
  });

  it('needs a recent sign-in to enrol and to turn TOTP off; re-authentication then needs the code too (amr pwd,otp,mfa); DELETE /account/totp turns it off', async () => {
    const { email, userId } = await register();
    const tokens = await login(api, email, PASSWORD);
    advance(3 * 60_000);
    const refused = await api.http().post('/account/totp').set('Authorization', bearer(tokens));
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('insufficient_user_authentication');
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer error="insufficient_user_authentication", .*max_age=120$/);
    expect(await api.dataSource.query(`SELECT user_id FROM totp_factors WHERE user_id = '${userId}'`)).toHaveLength(0);

    const fresh = (
      await api.http().post('/auth/reauthenticate').set('Authorization', bearer(tokens)).send({ password: PASSWORD }).expect(200)
    ).body;
    expect(decodeJwt(fresh.access_token).payload.amr).toEqual(['pwd']);
    const enrolment = await api.http().post('/account/totp').set('Authorization', bearer(fresh)).expect(200);
    const secret = enrolment.body.secret as string;
    await api
      .http()
      .post('/account/totp/confirm')
      .set('Authorization', bearer(fresh))
      .send({ code: await code(secret) })
      .expect(200);

    advance(3 * 60_000);
    const old = await api.http().delete('/account/totp').set('Authorization', bearer(fresh));
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('insufficient_user_authentication');
    expect((await account(fresh.access_token)).totp).toBe(true);

    // The password alone, or with a wrong code, no longer re-authenticates.
    const reauthenticate = (body: Record<string, string>) =>
      api.http().post('/auth/reauthenticate').set('Authorization', bearer(fresh)).send(body);
    const missing = await reauthenticate({ password: PASSWORD });
    expect(missing.status).toBe(401);
    expect(missing.body.error).toBe('invalid_code');
    const wrong = await reauthenticate({ password: PASSWORD, code: await wrongCode(secret) });
    expect(wrong.status).toBe(401);
    expect((await reauthenticate({ password: 'not the password', code: await code(secret) })).status).toBe(401);
    // Counted like failed sign-ins (LOGIN_RATE_LIMIT, per email): the missing code, the wrong one, the wrong password.
    const emailKey = createHash('sha256').update(`email:${email}`).digest('hex');
    const failures = async () =>
      Number((await api.dataSource.query(`SELECT failures FROM login_attempts WHERE key_hash = '${emailKey}'`))[0].failures);
    expect(await failures()).toBe(3);
    const again = (await reauthenticate({ password: PASSWORD, code: await code(secret) }).expect(200)).body;
    expect(await failures()).toBe(3);
    const { payload } = decodeJwt(again.access_token);
    expect(payload.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(payload.sid).toBe(decodeJwt(fresh.access_token).payload.sid);

    await api.http().delete('/account/totp').set('Authorization', bearer(again)).expect(204);
    expect((await account(again.access_token)).totp).toBe(false);
    expect(await api.dataSource.query(`SELECT user_id FROM recovery_codes WHERE user_id = '${userId}'`)).toHaveLength(0);
    expect(await eventsOf(userId)).toEqual(expect.arrayContaining(['totp_enabled', 'totp_disabled']));
    // Signing in is back to the password alone.
    const signedIn = await login(api, email, PASSWORD);
    expect(decodeJwt(signedIn.access_token).payload.amr).toEqual(['pwd']);
    await api.http().delete('/account/totp').set('Authorization', bearer(again)).expect(404);
  });

  it('deletes the second factor with the account', async () => {
    const totp = await withTotp();
    await mfaToken(totp);
    await api.http().delete('/account').set('Authorization', bearer(totp.accessToken)).expect(204);
    for (const table of ['totp_factors', 'recovery_codes', 'mfa_challenges']) {
      const rows = await api.dataSource.query(`SELECT COUNT(*) AS n FROM ${table} WHERE user_id = '${totp.userId}'`);
      expect({ table, rows: Number(rows[0].n) }).toEqual({ table, rows: 0 });
    }
  });
});
