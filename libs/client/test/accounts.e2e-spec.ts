import { startApiCluster, type ApiCluster } from '../../../test/support/app-process.js';
import { MailReceiver, type ReceivedMail } from '../../../test/support/mail-receiver.js';
import { sleep, waitFor } from '../../../test/support/wait-for.js';
import { AuthClient, AuthHttpError, MemoryStorage, SignedOutError, StepUpRequiredError, type SignOutReason } from '../src/index.js';

// The SDK's account calls against the real built API: two `apps/api` processes on one scratch
// database, mailing through a real SMTP server (smtp-server) whose mails the tests read the
// links from, as a user would. The second process asks for a sign-in younger than
// STEP_UP_MAX_AGE seconds (RFC 9470 step-up), short enough for a test to wait past it.

const PASSWORD = 'correct horse battery';
const STEP_UP_MAX_AGE = 4;

let receiver: MailReceiver;
let cluster: ApiCluster;
/** STEP_UP_MAX_AGE the default 10 minutes. */
let api: string;
/** STEP_UP_MAX_AGE a few seconds. */
let stepUpApi: string;
let counter = 0;

beforeAll(async () => {
  receiver = await new MailReceiver().start();
  cluster = await startApiCluster(
    2,
    {
      SMTP_URL: receiver.url,
      MAIL_FROM: 'Device Auth <no-reply@auth.example>',
      DASHBOARD_URL: 'https://dash.example.com',
      LOGIN_RATE_LIMIT: '1000/15m',
      REGISTER_RATE_LIMIT: '100000/1h',
    },
    [{}, { STEP_UP_MAX_AGE: `${STEP_UP_MAX_AGE}s` }],
  );
  [api, stepUpApi] = cluster.processes.map((process) => process.url);
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
  await receiver?.stop();
});

function testClient(options: { baseUrl?: string; dpop?: boolean } = {}) {
  const clock = { offset: 0 };
  const storage = new MemoryStorage();
  const client = new AuthClient({ baseUrl: options.baseUrl ?? api, storage, dpop: options.dpop, now: () => Date.now() + clock.offset });
  const signedOut: SignOutReason[] = [];
  client.on('signedOut', ({ reason }) => signedOut.push(reason));
  return { client, storage, clock, signedOut };
}

/** A new account, registered without the SDK (registration mails it a verification link). */
async function newAccount(baseUrl = api): Promise<{ email: string; password: string }> {
  const account = { email: `sdk-accounts${++counter}-${Date.now()}@example.com`, password: PASSWORD };
  const response = await fetch(`${baseUrl}/auth/register`, {
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

/** The mails with `subject` that `address` has received, once there are at least `count`. */
function mailsWithSubject(address: string, subject: string, count = 1): Promise<ReceivedMail[]> {
  return waitFor(
    () => {
      const mails = receiver.to(address).filter((mail) => mail.subject === subject);
      return mails.length >= count && mails;
    },
    { timeoutMs: 20_000, intervalMs: 50, what: `${count} mail(s) "${subject}" to ${address}` },
  );
}

/** The `token` of a mail's link (a dashboard landing page's address). */
function tokenOf(mail: ReceivedMail): string {
  const link = mail.links.find((candidate) => candidate.includes('token='));
  if (!link) throw new Error(`no link with a token in "${mail.subject}"`);
  return new URL(link).searchParams.get('token')!;
}

/** Calls GET /me until the session ends (a revocation reaches every process within a moment). */
async function untilSignedOut(client: AuthClient): Promise<SignedOutError> {
  return waitFor(
    async () => {
      try {
        expect((await client.fetch('/me')).status).toBe(200);
        return false;
      } catch (error) {
        expect(error).toBeInstanceOf(SignedOutError);
        return error as SignedOutError;
      }
    },
    { intervalMs: 100, what: 'the session to end' },
  );
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('AuthClient account calls against the real API (e2e, real SMTP)', () => {
  it('requestPasswordReset mails a link; resetPassword with it signs the old session out (password_changed) and only the new password signs in', async () => {
    const account = await newAccount();
    const signedIn = testClient();
    await signedIn.client.login({ ...account, device: { name: 'Old phone' } });
    // The forgetful user, on the sign-in screen of another device: no session needed.
    const { client: signInScreen } = testClient();

    await signInScreen.requestPasswordReset(account.email);
    const [reset] = await mailsWithSubject(account.email, 'Reset your password');
    await signInScreen.resetPassword(tokenOf(reset), 'a brand new password');

    expect((await untilSignedOut(signedIn.client)).reason).toBe('password_changed');
    expect(signedIn.signedOut).toEqual(['password_changed']);
    const spent = await rejection(signInScreen.resetPassword(tokenOf(reset), 'yet another password'));
    expect(spent).toBeInstanceOf(AuthHttpError);
    expect(spent).toMatchObject({ status: 400, code: 'invalid_token' });
    const oldPassword = await rejection(signInScreen.login({ ...account, device: { name: 'New phone' } }));
    expect(oldPassword).toMatchObject({ name: 'AuthHttpError', status: 401 });
    await signInScreen.login({ email: account.email, password: 'a brand new password', device: { name: 'New phone' } });
    expect((await signInScreen.getAccount()).email).toBe(account.email);
  });

  it('requestEmailVerification mails a new link, and verifyEmail with it makes getAccount say emailVerified', async () => {
    const account = await newAccount();
    const { client } = testClient();
    await client.login({ ...account, device: { name: 'Phone' } });
    const registration = await mailsWithSubject(account.email, 'Confirm your email address');
    expect(await client.getAccount()).toMatchObject({ email: account.email, emailVerified: false });

    await client.requestEmailVerification();
    const mails = await mailsWithSubject(account.email, 'Confirm your email address', registration.length + 1);
    // Needs no session: the link may be opened anywhere.
    await testClient().client.verifyEmail(tokenOf(mails.at(-1)!));

    expect(await client.getAccount()).toMatchObject({ email: account.email, emailVerified: true });
  });

  it('deleteAccount ends the session at once (reason logout), revokes it at the server, and the credentials no longer sign in', async () => {
    const account = await newAccount();
    const { client, storage, signedOut } = testClient();
    await client.login({ ...account, device: { name: 'Phone' } });
    const { refreshToken } = await storedSession(storage);

    await client.deleteAccount();

    expect(signedOut).toEqual(['logout']);
    expect(await client.isSignedIn()).toBe(false);
    const next = await rejection(client.fetch('/me'));
    expect(next).toBeInstanceOf(SignedOutError);
    expect((next as SignedOutError).reason).toBe('logout');
    const refresh = await fetch(`${api}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
    expect(refresh.status).toBe(400);
    expect(await refresh.json()).toMatchObject({ error: 'invalid_grant' });
    const again = await rejection(client.login({ ...account, device: { name: 'Phone' } }));
    expect(again).toMatchObject({ name: 'AuthHttpError', status: 401 });
  });

  it('past STEP_UP_MAX_AGE deleteAccount rejects with StepUpRequiredError (maxAge) and changes nothing; reauthenticate lets it through', async () => {
    const account = await newAccount(stepUpApi);
    const { client, storage, signedOut } = testClient({ baseUrl: stepUpApi });
    await client.login({ ...account, device: { name: 'Phone' } });
    const before = await storedSession(storage);
    await sleep((STEP_UP_MAX_AGE + 2) * 1000);

    const refused = await rejection(client.deleteAccount());
    expect(refused).toBeInstanceOf(StepUpRequiredError);
    expect(refused).toBeInstanceOf(AuthHttpError);
    expect(refused).toMatchObject({ status: 401, code: 'insufficient_user_authentication', maxAge: STEP_UP_MAX_AGE });
    expect(await client.isSignedIn()).toBe(true);
    expect(await client.getAccount()).toMatchObject({ email: account.email });

    // A wrong password is an ordinary refusal and keeps the session.
    const wrong = await rejection(client.reauthenticate('not my password'));
    expect(wrong).toBeInstanceOf(AuthHttpError);
    expect(wrong).not.toBeInstanceOf(StepUpRequiredError);
    expect(wrong).toMatchObject({ status: 401 });

    await client.reauthenticate(PASSWORD);
    const after = await storedSession(storage);
    expect(after.deviceId).toBe(before.deviceId);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    await client.deleteAccount();

    expect(signedOut).toEqual(['logout']);
    const again = await rejection(client.login({ ...account, device: { name: 'Phone' } }));
    expect(again).toMatchObject({ name: 'AuthHttpError', status: 401 });
  }, 60_000);

  it('reauthenticate on a DPoP-bound session stores new tokens for the same device, still bound to the same key', async () => {
    const account = await newAccount();
    const { client, storage, clock, signedOut } = testClient({ dpop: true });
    const { deviceId } = await client.login({ ...account, device: { name: 'Bound phone' } });
    const before = await storedSession(storage);
    expect(before).toMatchObject({ tokenType: 'DPoP', keyId: expect.any(String) });

    await client.reauthenticate(PASSWORD);

    const after = await storedSession(storage);
    expect(after).toMatchObject({ tokenType: 'DPoP', keyId: before.keyId, deviceId });
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.accessToken).not.toBe(before.accessToken);
    // The new access token is bound: without a proof by the key it opens nothing.
    const stolen = await fetch(`${api}/me`, { headers: { authorization: `Bearer ${after.accessToken}` } });
    expect(stolen.status).toBe(401);
    const me = await client.fetch('/me');
    expect(me.status).toBe(200);
    expect(((await me.json()) as { deviceId: string }).deviceId).toBe(deviceId);
    // The new refresh token is the device's live one and needs the key too: a refresh with it
    // and a proof (the token about to expire) goes on with the same device.
    clock.offset = 14.5 * 60_000;
    const refreshed = await client.fetch('/me');
    expect(refreshed.status).toBe(200);
    const last = await storedSession(storage);
    expect(last).toMatchObject({ tokenType: 'DPoP', keyId: before.keyId, deviceId });
    expect(last.refreshToken).not.toBe(after.refreshToken);
    expect(signedOut).toEqual([]);
  });
});
