import type { startAuthentication as browserStartAuthentication } from '@simplewebauthn/browser';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { generate } from 'otplib';
import { startApiCluster, type ApiCluster } from '../../../test/support/app-process.js';
import { sleep } from '../../../test/support/wait-for.js';
import {
  AuthClient,
  AuthHttpError,
  InvalidCodeError,
  MfaExpiredError,
  MfaRequiredError,
  MemoryStorage,
  PasskeyRejectedError,
  StepUpRequiredError,
  type GetAssertion,
  type SignOutReason,
} from '../src/index.js';
import { SoftwareAuthenticator } from './support/software-authenticator.js';

// The SDK's strong authentication against the real built API: passkeys signed by a software
// authenticator (real CBOR, authenticator data and ES256 signatures; support/), TOTP codes made
// by otplib from the secret the API answered, as an authenticator app would. Two `apps/api`
// processes on one database; the second asks for a sign-in younger than STEP_UP_MAX_AGE
// seconds, short enough for a test to wait past it.

const PASSWORD = 'correct horse battery';
const STEP_UP_MAX_AGE = 4;
/** The relying party and the origin the ceremonies come from (an app's web origin). */
const RP_ID = 'example.test';
const ORIGIN = 'https://app.example.test';
const STEP_SECONDS = 30;

let cluster: ApiCluster;
/** STEP_UP_MAX_AGE the default 10 minutes. */
let api: string;
/** STEP_UP_MAX_AGE a few seconds. */
let stepUpApi: string;
let counter = 0;

beforeAll(async () => {
  cluster = await startApiCluster(
    2,
    {
      WEBAUTHN_RP_ID: RP_ID,
      WEBAUTHN_ORIGINS: ORIGIN,
      LOGIN_RATE_LIMIT: '1000/15m',
      REGISTER_RATE_LIMIT: '100000/1h',
    },
    [{}, { STEP_UP_MAX_AGE: `${STEP_UP_MAX_AGE}s` }],
  );
  [api, stepUpApi] = cluster.processes.map((process) => process.url);
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

function testClient(options: { baseUrl?: string; dpop?: boolean } = {}) {
  const storage = new MemoryStorage();
  const client = new AuthClient({ baseUrl: options.baseUrl ?? api, storage, dpop: options.dpop });
  const signedOut: SignOutReason[] = [];
  client.on('signedOut', ({ reason }) => signedOut.push(reason));
  return { client, storage, signedOut };
}

/** A new account, registered without the SDK. */
async function newAccount(): Promise<{ email: string; password: string }> {
  const account = { email: `sdk-strong${++counter}-${Date.now()}@example.com`, password: PASSWORD };
  const response = await fetch(`${api}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(account),
  });
  expect(response.status).toBe(201);
  return account;
}

async function storedSession(
  storage: MemoryStorage,
): Promise<{ refreshToken: string; accessToken: string; tokenType: string; deviceId: string; keyId?: string }> {
  return JSON.parse((await storage.getItem('device-auth:session'))!);
}

/** The claims of a JWT (read, not verified: the API verified it when it answered). */
function claimsOf(jwt: string): { cnf?: { jkt?: string }; amr?: string[]; auth_time?: number } {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function postJson(client: AuthClient, path: string, body?: unknown): Promise<Response> {
  return client.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** A signed-in account with a passkey on a software authenticator (added through the SDK's `fetch`). */
async function withPasskey() {
  const account = await newAccount();
  const { client } = testClient();
  await client.login({ ...account, device: { name: 'Laptop' } });
  const options = (await (await postJson(client, '/account/passkeys/options')).json()) as PublicKeyCredentialCreationOptionsJSON;
  const authenticator = new SoftwareAuthenticator();
  const added = await postJson(client, '/account/passkeys', {
    response: authenticator.register(options, { origin: ORIGIN }),
    name: 'Phone',
  });
  expect(added.status).toBe(201);
  return { account, authenticator };
}

/**
 * The browser's plug-in point as the README shows it, `@simplewebauthn/browser`'s
 * `startAuthentication` (typed as that function, played by the software authenticator), with
 * the options each prompt was given.
 */
function browserPrompt(authenticator: SoftwareAuthenticator) {
  const prompts: object[] = [];
  const startAuthentication: typeof browserStartAuthentication = async ({ optionsJSON }) => {
    prompts.push(optionsJSON);
    return authenticator.assert(optionsJSON, { origin: ORIGIN });
  };
  const getAssertion: GetAssertion = (options) => startAuthentication({ optionsJSON: options });
  return { getAssertion, prompts };
}

/** The code an authenticator app shows now (or `steps` periods from now). */
const totp = (secret: string, steps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * STEP_SECONDS });

/** A 6-digit code that is none of the accepted ones (previous, current, next step). */
async function wrongCode(secret: string): Promise<string> {
  const accepted = new Set([await totp(secret, -1), await totp(secret), await totp(secret, 1)]);
  let candidate = 0;
  while (accepted.has(String(candidate).padStart(6, '0'))) candidate++;
  return String(candidate).padStart(6, '0');
}

/**
 * A signed-in account with TOTP on, enrolled through the SDK's `fetch` as an app would. The
 * confirmation spends the current step's code: the next code to use is `totp(secret, 1)`.
 */
async function withTotp() {
  const account = await newAccount();
  const signedIn = testClient();
  await signedIn.client.login({ ...account, device: { name: 'First phone' } });
  const enrolment = await postJson(signedIn.client, '/account/totp');
  expect(enrolment.status).toBe(200);
  const { secret } = (await enrolment.json()) as { secret: string };
  const confirmed = await postJson(signedIn.client, '/account/totp/confirm', { code: await totp(secret) });
  expect(confirmed.status).toBe(200);
  const { recoveryCodes } = (await confirmed.json()) as { recoveryCodes: string[] };
  expect(await signedIn.client.getAccount()).toMatchObject({ totp: true });
  return { account, secret, recoveryCodes, ...signedIn };
}

describe('AuthClient strong authentication against the real API (e2e)', () => {
  describe('loginWithPasskey', () => {
    it("signs a new device in with the passkey through the platform's prompt, bound to the client's DPoP key (cnf.jkt), amr hwk", async () => {
      const { authenticator } = await withPasskey();
      const { getAssertion, prompts } = browserPrompt(authenticator);
      const { client, storage, signedOut } = testClient({ dpop: true });

      const { deviceId } = await client.loginWithPasskey(getAssertion, { name: 'Passkey phone', platform: 'ios' });

      expect(prompts).toEqual([expect.objectContaining({ challenge: expect.any(String), rpId: RP_ID, userVerification: 'required' })]);
      const session = await storedSession(storage);
      expect(session).toMatchObject({ tokenType: 'DPoP', keyId: expect.any(String), deviceId });
      const claims = claimsOf(session.accessToken);
      expect(claims.cnf?.jkt).toBe(session.keyId);
      expect(claims.amr).toEqual(expect.arrayContaining(['hwk']));
      const me = await client.fetch('/me');
      expect(me.status).toBe(200);
      expect(((await me.json()) as { deviceId: string }).deviceId).toBe(deviceId);
      // Bound: the token alone opens nothing.
      const stolen = await fetch(`${api}/me`, { headers: { authorization: `Bearer ${session.accessToken}` } });
      expect(stolen.status).toBe(401);
      const devices = (await (await client.fetch('/devices')).json()) as { devices: { id: string; name: string; platform: string }[] };
      expect(devices.devices).toEqual(
        expect.arrayContaining([expect.objectContaining({ id: deviceId, name: 'Passkey phone', platform: 'ios' })]),
      );
      expect(signedOut).toEqual([]);
    });

    it('rejects with PasskeyRejectedError for a passkey the server does not know and for a replayed assertion, signing nothing in', async () => {
      const { authenticator } = await withPasskey();
      const { client } = testClient({ dpop: true });

      const unknown = await rejection(client.loginWithPasskey(browserPrompt(new SoftwareAuthenticator()).getAssertion, { name: 'Phone' }));
      expect(unknown).toBeInstanceOf(PasskeyRejectedError);
      expect(unknown).toBeInstanceOf(AuthHttpError);
      expect(unknown).toMatchObject({ status: 401 });
      expect(await client.isSignedIn()).toBe(false);

      // An assertion answers one challenge: sent again (to a new challenge), it is refused.
      const { getAssertion } = browserPrompt(authenticator);
      let first: Awaited<ReturnType<GetAssertion>> | undefined;
      await testClient().client.loginWithPasskey(async (options) => (first = await getAssertion(options)), { name: 'Tablet' });
      const replayed = await rejection(client.loginWithPasskey(async () => first!, { name: 'Phone' }));
      expect(replayed).toBeInstanceOf(PasskeyRejectedError);
      expect(await client.isSignedIn()).toBe(false);
    });

    it("passes the prompt's own rejection on (the user cancelled) and signs nothing in", async () => {
      const { client } = testClient({ dpop: true });
      const cancelled = Object.assign(new Error('The operation either timed out or was not allowed.'), { name: 'NotAllowedError' });

      const error = await rejection(client.loginWithPasskey(() => Promise.reject(cancelled), { name: 'Phone' }));

      expect(error).toBe(cancelled);
      expect(await client.isSignedIn()).toBe(false);
    });
  });

  describe('two-step verification', () => {
    it('login rejects with MfaRequiredError (no session, no mfaToken shown); completeMfa with a wrong code with InvalidCodeError, with the right one signs in bound', async () => {
      const { account, secret } = await withTotp();
      const { client, storage, signedOut } = testClient({ dpop: true });

      const required = await rejection(client.login({ ...account, device: { name: 'New phone', platform: 'android' } }));
      expect(required).toBeInstanceOf(MfaRequiredError);
      expect(required).toBeInstanceOf(AuthHttpError);
      expect(required).toMatchObject({ status: 401, code: 'mfa_required' });
      // The token that finishes the sign-in stays inside the client.
      expect(JSON.stringify((required as MfaRequiredError).body)).not.toMatch(/mfaToken/);
      expect(await client.isSignedIn()).toBe(false);
      expect(await storage.getItem('device-auth:session')).toBeNull();

      const wrong = await rejection(client.completeMfa(await wrongCode(secret)));
      expect(wrong).toBeInstanceOf(InvalidCodeError);
      expect(wrong).toMatchObject({ status: 401, code: 'invalid_code' });
      expect(await client.isSignedIn()).toBe(false);

      const { deviceId } = await client.completeMfa(await totp(secret, 1));
      const session = await storedSession(storage);
      expect(session).toMatchObject({ tokenType: 'DPoP', keyId: expect.any(String), deviceId });
      const claims = claimsOf(session.accessToken);
      expect(claims.cnf?.jkt).toBe(session.keyId);
      expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp']));
      const me = await client.fetch('/me');
      expect(me.status).toBe(200);
      expect(((await me.json()) as { deviceId: string }).deviceId).toBe(deviceId);
      expect(signedOut).toEqual([]);
      // The sign-in is finished: nothing is waiting for a code any more.
      expect(await rejection(client.completeMfa(await totp(secret, 1)))).toBeInstanceOf(MfaExpiredError);
    });

    it('five wrong codes end the sign-in (MfaExpiredError, also without a request afterwards); login starts again', async () => {
      const { account, secret } = await withTotp();
      const { client } = testClient({ dpop: true });
      expect(await rejection(client.login({ ...account, device: { name: 'New phone' } }))).toBeInstanceOf(MfaRequiredError);
      const wrong = await wrongCode(secret);
      for (let attempt = 0; attempt < 5; attempt++) {
        expect(await rejection(client.completeMfa(wrong))).toBeInstanceOf(InvalidCodeError);
      }

      const ended = await rejection(client.completeMfa(await totp(secret, 1)));
      expect(ended).toBeInstanceOf(MfaExpiredError);
      expect(ended).toMatchObject({ status: 401, code: 'invalid_mfa_token' });
      expect(await rejection(client.completeMfa(await totp(secret, 1)))).toBeInstanceOf(MfaExpiredError);
      expect(await client.isSignedIn()).toBe(false);

      expect(await rejection(client.login({ ...account, device: { name: 'New phone' } }))).toBeInstanceOf(MfaRequiredError);
      await client.completeMfa(await totp(secret, 1));
      expect(await client.isSignedIn()).toBe(true);
    });

    it('completeMfa with no sign-in waiting rejects with MfaExpiredError; a recovery code finishes a sign-in once', async () => {
      const { account, recoveryCodes } = await withTotp();
      const { client } = testClient();
      expect(await rejection(client.completeMfa('123456'))).toBeInstanceOf(MfaExpiredError);

      await rejection(client.login({ ...account, device: { name: 'New phone' } }));
      await client.completeMfa(recoveryCodes[0]);
      expect((await client.fetch('/me')).status).toBe(200);

      const other = testClient().client;
      await rejection(other.login({ ...account, device: { name: 'Other phone' } }));
      expect(await rejection(other.completeMfa(recoveryCodes[0]))).toBeInstanceOf(InvalidCodeError);
    });

    it('reauthenticate on an account with TOTP needs the code: InvalidCodeError without it or with a wrong one; with it new tokens for the same device', async () => {
      const { secret, recoveryCodes, client, storage } = await withTotp();
      const before = await storedSession(storage);

      const missing = await rejection(client.reauthenticate(PASSWORD));
      expect(missing).toBeInstanceOf(InvalidCodeError);
      const wrong = await rejection(client.reauthenticate({ password: PASSWORD, code: await wrongCode(secret) }));
      expect(wrong).toBeInstanceOf(InvalidCodeError);
      const wrongPassword = await rejection(client.reauthenticate({ password: 'not my password', code: await totp(secret, 1) }));
      expect(wrongPassword).toBeInstanceOf(AuthHttpError);
      expect(wrongPassword).not.toBeInstanceOf(InvalidCodeError);
      expect(wrongPassword).toMatchObject({ status: 401 });
      expect(await storedSession(storage)).toEqual(before);

      await client.reauthenticate({ password: PASSWORD, code: await totp(secret, 1) });
      const after = await storedSession(storage);
      expect(after.deviceId).toBe(before.deviceId);
      expect(after.refreshToken).not.toBe(before.refreshToken);
      expect(claimsOf(after.accessToken).amr).toEqual(expect.arrayContaining(['pwd', 'otp']));
      // A recovery code does too, once.
      await client.reauthenticate({ password: PASSWORD, code: recoveryCodes[0] });
      expect(await rejection(client.reauthenticate({ password: PASSWORD, code: recoveryCodes[0] }))).toBeInstanceOf(InvalidCodeError);
      expect((await client.fetch('/me')).status).toBe(200);
    });
  });

  describe('step-up', () => {
    it('past STEP_UP_MAX_AGE a call rejects with StepUpRequiredError; reauthenticate({ password, code }) lets the retry through', async () => {
      const { account, secret, recoveryCodes } = await withTotp();
      const { client, signedOut } = testClient({ baseUrl: stepUpApi, dpop: true });
      await rejection(client.login({ ...account, device: { name: 'Phone' } }));
      await client.completeMfa(await totp(secret, 1));
      await sleep((STEP_UP_MAX_AGE + 2) * 1000);

      const refused = await rejection(client.deleteAccount());
      expect(refused).toBeInstanceOf(StepUpRequiredError);
      expect(refused).toMatchObject({ status: 401, code: 'insufficient_user_authentication', maxAge: STEP_UP_MAX_AGE });
      expect(await client.isSignedIn()).toBe(true);

      await client.reauthenticate({ password: PASSWORD, code: recoveryCodes[0] });
      await client.deleteAccount();

      expect(signedOut).toEqual(['logout']);
      expect(await rejection(testClient().client.login({ ...account, device: { name: 'Phone' } }))).toMatchObject({
        name: 'AuthHttpError',
        status: 401,
      });
    }, 60_000);

    it("reauthenticate({ passkey }) recovers a step-up with the account's own passkey (fresh auth_time, same device, still bound); another account's passkey is PasskeyRejectedError", async () => {
      const { authenticator } = await withPasskey();
      const stranger = await withPasskey();
      const { client, storage, signedOut } = testClient({ baseUrl: stepUpApi, dpop: true });
      await client.loginWithPasskey(browserPrompt(authenticator).getAssertion, { name: 'Phone' });
      const before = await storedSession(storage);
      await sleep((STEP_UP_MAX_AGE + 2) * 1000);
      expect(await rejection(client.deleteAccount())).toBeInstanceOf(StepUpRequiredError);

      const foreign = await rejection(client.reauthenticate({ passkey: browserPrompt(stranger.authenticator).getAssertion }));
      expect(foreign).toBeInstanceOf(PasskeyRejectedError);
      expect(foreign).toMatchObject({ status: 401 });
      expect(await storedSession(storage)).toEqual(before);

      const { getAssertion, prompts } = browserPrompt(authenticator);
      await client.reauthenticate({ passkey: getAssertion });
      expect(prompts).toEqual([expect.objectContaining({ rpId: RP_ID, userVerification: 'required' })]);
      const after = await storedSession(storage);
      expect(after).toMatchObject({ tokenType: 'DPoP', keyId: before.keyId, deviceId: before.deviceId });
      expect(after.refreshToken).not.toBe(before.refreshToken);
      expect(claimsOf(after.accessToken).cnf?.jkt).toBe(before.keyId);
      expect(claimsOf(after.accessToken).auth_time).toBeGreaterThan(claimsOf(before.accessToken).auth_time!);
      await client.deleteAccount();

      expect(signedOut).toEqual(['logout']);
      const gone = await rejection(testClient().client.loginWithPasskey(browserPrompt(authenticator).getAssertion, { name: 'Phone' }));
      expect(gone).toBeInstanceOf(PasskeyRejectedError);
    }, 60_000);
  });
});
