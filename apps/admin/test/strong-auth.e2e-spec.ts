import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { generate } from 'otplib';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { AuthService } from '@app/auth';
import { PasskeyRepository, UserRepository } from '@app/persistence';
import { TestClock } from '../../../test/support/scratch-database.js';
import { DashboardClient } from './support/dashboard-client.js';
import { startTestDashboard, type TestDashboard } from './support/test-dashboard.js';

const PASSWORD = 'correct horse battery';
const HOSTILE = '<img src=x onerror=alert(1)>"\'&';

/** The dashboard's strong-authentication pages over HTTP: no inline script, escaping, CSRF on the script's posts, TOTP end to end. */
describe('dashboard strong authentication (e2e)', () => {
  let dashboard: TestDashboard;
  let app: NestFastifyApplication;
  const clock = new TestClock();
  let counter = 0;

  beforeAll(async () => {
    dashboard = await startTestDashboard({}, { clock });
    app = dashboard.app;
  });

  afterAll(() => dashboard?.close());

  async function signedIn(name: string): Promise<{ client: DashboardClient; email: string; userId: string }> {
    const email = `${name}-${++counter}@example.com`;
    const { id } = await app.get(AuthService).register({ email, password: PASSWORD }, { ip: null, userAgent: null });
    const client = new DashboardClient(app);
    await client.signIn(email, PASSWORD);
    return { client, email, userId: id };
  }

  /** Every <script> of a page loads a file of this origin; no inline script, no handler attribute. */
  function expectNoInlineScript(html: string): void {
    for (const tag of html.match(/<script\b[^>]*>/gi) ?? [])
      expect(tag).toMatch(/^<script src="\/static\/[a-z-]+\.js\?v=[0-9a-f]{16}" defer>$/);
    expect(html).not.toMatch(/<script\b[^>]*>[^<]+<\/script>/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
  }

  const totpCode = (secret: string) => generate({ secret, epoch: Math.floor(clock.now() / 1000) });

  it("sends CSP script-src 'self' with no inline script on the passkey and two-step pages, and escapes passkey names", async () => {
    const { client, userId } = await signedIn('csp');
    const now = clock.now();
    await app.get(PasskeyRepository).insert({
      id: randomUUID(),
      userId,
      credentialId: 'credential-of-a-hostile-name',
      publicKey: 'AA',
      counter: 0,
      transports: 'internal',
      name: HOSTILE,
      createdAt: now,
      lastUsedAt: null,
    });
    const pages = [
      '/signin',
      '/devices',
      '/account',
      '/account/passkeys',
      '/account/two-step',
      '/account/confirm-identity?return=passkeys',
    ];
    for (const path of pages) {
      const response = await (path === '/signin' ? request(app.getHttpServer()).get(path) : client.get(path));
      expect(response.status).toBe(200);
      expect(response.headers['content-security-policy']).toContain("script-src 'self'");
      expect(response.headers['content-security-policy']).not.toContain('unsafe-inline');
      expectNoInlineScript(response.text);
    }
    const list = await client.get('/account/passkeys');
    expect(list.text).not.toContain('<img src=x');
    expect(list.text).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;&quot;&#x27;&amp;');
    // The CSRF token for the script's JSON posts is in the page's head.
    expect(list.text).toContain(`<meta name="csrf-token" content="${client.csrf}">`);
  });

  it("takes the script's JSON posts with the page's CSRF token only, and answers JSON errors (4xx, never a page or a 500)", async () => {
    const { client } = await signedIn('json');
    const server = request(app.getHttpServer());
    const post = (path: string, body: object) => server.post(path).set('Cookie', client.cookieHeader()).send(body);
    const refused = await post('/account/passkeys/options', {}).expect(403);
    expect(refused.body).toEqual({ error: 'The page expired. Reload it and try again.' });
    const options = await post('/account/passkeys/options', { _csrf: client.csrf }).expect(200);
    expect(options.headers['cache-control']).toBe('no-store');
    expect(options.body).toMatchObject({
      challenge: expect.any(String),
      rp: { id: 'localhost' },
      authenticatorSelection: { residentKey: 'required' },
    });
    const forged = await post('/account/passkeys', {
      _csrf: client.csrf,
      response: { id: 'x', rawId: 'x', type: 'public-key', response: {} },
    }).expect(401);
    expect(forged.body).toEqual({ error: 'The passkey could not be verified. Try again.' });
    const notObject = await post('/account/passkeys', { _csrf: client.csrf, response: 'nonsense' }).expect(400);
    expect(notObject.body.error).toEqual(expect.any(String));
    const longName = await post('/account/passkeys', { _csrf: client.csrf, response: {}, name: 'x'.repeat(65) }).expect(400);
    expect(longName.body.error).toBe('Name must be 1 to 64 characters.');
    // A malformed id is an unknown passkey: 404, and a foreign one too.
    expect((await client.post('/account/passkeys/not-a-uuid/remove')).status).toBe(404);
    expect((await client.post(`/account/passkeys/${randomUUID()}/remove`)).status).toBe(404);
  });

  it("signs in with a passkey only through the JSON routes with the sign-in page's CSRF token; a forged assertion creates no session", async () => {
    const anonymous = new DashboardClient(app);
    const signInPage = await anonymous.get('/signin');
    expect(signInPage.text).toContain('autocomplete="username webauthn"');
    expect(signInPage.text).toContain('data-passkey-sign-in data-options="/signin/passkey/options" data-finish="/signin/passkey"');
    const server = request(app.getHttpServer());
    const post = (path: string, body: object) => server.post(path).set('Cookie', anonymous.cookieHeader()).send(body);
    expect((await post('/signin/passkey/options', {}).expect(403)).body).toEqual({ error: 'The page expired. Reload it and try again.' });
    const options = await post('/signin/passkey/options', { _csrf: anonymous.csrf }).expect(200);
    expect(options.headers['cache-control']).toBe('no-store');
    expect(options.body).toMatchObject({ challengeId: expect.any(String), options: { rpId: 'localhost', userVerification: 'required' } });
    const forged = await post('/signin/passkey', {
      _csrf: anonymous.csrf,
      challengeId: options.body.challengeId,
      response: { id: 'x', rawId: 'x', type: 'public-key', response: {} },
    }).expect(401);
    expect(forged.body).toEqual({ error: 'The passkey could not be verified. Try again.' });
    expect(forged.headers['set-cookie']).toBeUndefined();
    expect((await post('/signin/passkey', { _csrf: anonymous.csrf, response: {} }).expect(400)).body.error).toEqual(expect.any(String));
  });

  it('turns two-step verification on (QR code and key once, recovery codes once), then signs in with password and code or a recovery code', async () => {
    const { client, email, userId } = await signedIn('totp');
    await client.get('/account/two-step');
    const enrol = await client.post('/account/two-step/enrol');
    expect(enrol.status).toBe(200);
    expect(enrol.headers['cache-control']).toBe('no-store');
    expect(enrol.text).toMatch(/<div class="qr"><svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>/);
    expectNoInlineScript(enrol.text);
    const secret = /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(enrol.text)![1].replace(/ /g, '');
    // A wrong code: asked again, the key not shown again.
    const wrong = await client.post('/account/two-step/confirm', { code: '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).not.toContain(secret.slice(0, 8));
    const confirmed = await client.post('/account/two-step/confirm', { code: await totpCode(secret) });
    expect(confirmed.status).toBe(200);
    expect(confirmed.headers['cache-control']).toBe('no-store');
    const recoveryCodes = [...confirmed.text.matchAll(/<li><code>([a-z2-7-]{19})<\/code><\/li>/g)].map((match) => match[1]);
    expect(recoveryCodes).toHaveLength(10);
    // Not retrievable afterwards.
    const page = await client.get('/account/two-step');
    expect(page.text).toContain('Turn off two-step verification');
    for (const code of recoveryCodes) expect(page.text).not.toContain(code);
    expect(await app.get(UserRepository).findById(userId)).not.toBeNull();

    // Signing in now asks for the code: the mfaToken rides in a hidden field.
    const browser = new DashboardClient(app);
    await browser.get('/signin?next=%2Faccount');
    const second = await browser.post('/signin?next=%2Faccount', { email, password: PASSWORD });
    expect(second.status).toBe(200);
    expect(second.text).toContain('<h1>Two-step verification</h1>');
    expect(second.text).toContain('autocomplete="one-time-code"');
    expect(second.text).toContain('action="/signin/second-factor?next=%2Faccount"');
    const mfaToken = /name="mfaToken" value="([^"]+)"/.exec(second.text)![1];
    expect(browser.cookies.has('dashboard_access')).toBe(false);
    const wrongCode = await browser.post('/signin/second-factor?next=%2Faccount', { mfaToken, code: '123456' });
    expect(wrongCode.status).toBe(401);
    expect(wrongCode.text).toContain('That code is not right');
    expect(wrongCode.text).toContain(`name="mfaToken" value="${mfaToken}"`);
    const noToken = await browser.post('/signin/second-factor', { mfaToken: '', code: '123456' });
    expect(noToken.status).toBe(400);
    expect(noToken.text).toContain('Sign in again');
    const done = await browser.post('/signin/second-factor?next=%2Faccount', { mfaToken, code: recoveryCodes[0].toUpperCase() });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/account');
    expect((await browser.get('/account')).status).toBe(200);
    // Spent: the same mfaToken finishes nothing again.
    const again = await new DashboardClient(app).post('/signin/second-factor', { mfaToken, code: recoveryCodes[1] }, null);
    expect(again.status).toBe(403);

    // A sign-in the API began (its mfaToken from POST /auth/login) is not finished here, even
    // with the right code: the dashboard would make a cookie session of an app's sign-in.
    const apiSignIn = await app
      .get(AuthService)
      .login({ email, password: PASSWORD }, { name: 'Phone' }, { ip: null, userAgent: null })
      .then(
        () => undefined,
        (error: { problemMembers?: Record<string, string> }) => error.problemMembers?.mfaToken,
      );
    expect(apiSignIn).toEqual(expect.any(String));
    const other = new DashboardClient(app);
    await other.get('/signin');
    const crossed = await other.post('/signin/second-factor', { mfaToken: apiSignIn!, code: await totpCode(secret) });
    expect(crossed.status).not.toBe(303);
    expect(crossed.text).toContain('Sign in again');
    expect(other.cookies.has('dashboard_access')).toBe(false);
  });
});
