import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import jwt from 'jsonwebtoken';
import request, { type Response } from 'supertest';
import { DeviceEntity } from '@app/persistence';
import type { DataSource } from 'typeorm';
import { TestClock } from '../../../test/support/scratch-database.js';
import { startTestDashboard, type TestDashboard } from './support/test-dashboard.js';

const PASSWORD = 'correct horse battery';

/** The dashboard over HTTP, without a browser: redirects, CSRF, rate limit, headers. */
describe('dashboard (e2e)', () => {
  let dashboard: TestDashboard;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  const clock = new TestClock();

  beforeAll(async () => {
    dashboard = await startTestDashboard({ LOGIN_RATE_LIMIT: '4/15m' }, { clock });
    ({ app, dataSource } = dashboard);
  });

  afterAll(() => dashboard?.close());

  const http = () => request(app.getHttpServer());

  /** A sign-in form as a browser gets it: the CSRF cookie and the token from the page. */
  async function signInForm(): Promise<{ cookie: string[]; csrf: string }> {
    const page = await http().get('/signin').expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
    expect(csrf).toBeDefined();
    return { cookie: page.headers['set-cookie'] as unknown as string[], csrf: csrf! };
  }

  async function register(email: string): Promise<void> {
    const { AuthService } = await import('@app/auth');
    await app.get(AuthService).register({ email, password: PASSWORD }, { ip: null, userAgent: null });
  }

  /** Registers `email` and signs in with the form (303): the form's cookies and the sign-in's response. */
  async function registerAndSignIn(email: string): Promise<{ cookie: string[]; signedIn: Response }> {
    await register(email);
    const { cookie, csrf } = await signInForm();
    const signedIn = await http()
      .post('/signin')
      .set('Cookie', cookie)
      .type('form')
      .send({ email, password: PASSWORD, _csrf: csrf })
      .expect(303);
    return { cookie, signedIn };
  }

  it('answers GET /health', async () => {
    await http().get('/health').expect(200, { status: 'ok' });
  });

  it('sends a visitor without a session to the sign-in page, remembering where they were going', async () => {
    const response = await http().get('/devices').expect(303);
    expect(response.headers.location).toBe('/signin?next=%2Fdevices');
    const post = await http().post('/devices/revoke-others').type('form').send({}).expect(403);
    expect(post.headers['content-type']).toMatch(/^text\/html/);
  });

  it('refuses a sign-in POST without the CSRF token with 403', async () => {
    await register('csrf-signin@example.com');
    const response = await http().post('/signin').type('form').send({ email: 'csrf-signin@example.com', password: PASSWORD }).expect(403);
    expect(response.text).toContain('did not come from this site');
    expect(response.headers['set-cookie'] ?? []).not.toEqual(expect.arrayContaining([expect.stringMatching(/^dashboard_access=/)]));
  });

  it('signs in with a valid form: HttpOnly SameSite=Strict cookies, a web device, a redirect to the devices page', async () => {
    await register('form@example.com');
    const { cookie, csrf } = await signInForm();
    const response = await http()
      .post('/signin')
      .set('Cookie', cookie)
      .type('form')
      .send({ email: 'FORM@example.com ', password: PASSWORD, _csrf: csrf })
      .expect(303);
    expect(response.headers.location).toBe('/devices');
    const cookies = response.headers['set-cookie'] as unknown as string[];
    for (const name of ['dashboard_access', 'dashboard_refresh']) {
      const cookieLine = cookies.find((line) => line.startsWith(`${name}=`));
      expect(cookieLine).toMatch(/HttpOnly/);
      expect(cookieLine).toMatch(/SameSite=Strict/);
      expect(cookieLine).toMatch(/Path=\//);
    }
    const devices = await dataSource.getRepository(DeviceEntity).find();
    expect(devices.filter((device) => device.platform === 'web')).toHaveLength(1);
  });

  it('lets only a genuine, live access cookie in (passport AccessTokenStrategy): forged, expired and revoked ones go to sign-in', async () => {
    const { signedIn } = await registerAndSignIn('cookie-checks@example.com');
    const access = (signedIn.headers['set-cookie'] as unknown as string[])
      .find((line) => line.startsWith('dashboard_access='))!
      .split(';')[0];
    const token = access.slice('dashboard_access='.length);
    const page = (cookieHeader: string) => http().get('/devices').set('Cookie', cookieHeader);
    expect((await page(access)).status).toBe(200);

    // The same claims and header, signed with another key.
    const { header, payload } = jwt.decode(token, { complete: true }) as { header: jwt.JwtHeader; payload: jwt.JwtPayload };
    const forged = jwt.sign(payload, 'another-secret-that-is-at-least-32-bytes!', { header });
    expect((await page(`dashboard_access=${forged}`)).headers.location).toBe('/signin?next=%2Fdevices');

    // Expired by the injectable clock (passport-jwt alone would judge by the system clock).
    clock.advance(16 * 60_000);
    try {
      expect((await page(access)).headers.location).toBe('/signin?next=%2Fdevices');
    } finally {
      clock.advance(-16 * 60_000);
    }
    expect((await page(access)).status).toBe(200);

    // Its device revoked: refused at once.
    await dataSource.getRepository(DeviceEntity).update({ id: payload.sid as string }, { revokedAt: Date.now() });
    const { RevocationSet } = await import('@app/auth');
    app.get(RevocationSet).add(payload.sid as string, Date.now());
    expect((await page(access)).headers.location).toBe('/signin?next=%2Fdevices');
  });

  it('marks a device bound to a DPoP key as key-bound', async () => {
    const { signedIn } = await registerAndSignIn('key-bound@example.com');
    const session = (signedIn.headers['set-cookie'] as unknown as string[]).map((line) => line.split(';')[0]).join('; ');
    const before = await http().get('/devices').set('Cookie', session).expect(200);
    expect(before.text).not.toContain('Key-bound');
    const deviceId = /data-device-id="([^"]+)"/.exec(before.text)![1];
    await dataSource.getRepository(DeviceEntity).update({ id: deviceId }, { jkt: 'x'.repeat(43) });
    const after = await http().get('/devices').set('Cookie', session).expect(200);
    expect(after.text).toContain('Key-bound');
  });

  it('escapes what users typed into the sign-in form when it is shown again', async () => {
    const { cookie, csrf } = await signInForm();
    const response = await http()
      .post('/signin')
      .set('Cookie', cookie)
      .type('form')
      .send({ email: '"><script>alert(1)</script>@x.io', password: 'x', _csrf: csrf });
    // Not an email address: the form comes back with the reason (400), what was typed escaped.
    expect(response.status).toBe(400);
    expect(response.text).toContain('Email must be an email address.');
    expect(response.text).not.toContain('<script>alert(1)</script>');
    expect(response.text).toContain('&lt;script&gt;');
  });
  it('refreshes its own session from the refresh cookie, rotating it, and refuses a replayed one', async () => {
    const { signedIn } = await registerAndSignIn('refresh@example.com');
    const refreshCookie = (signedIn.headers['set-cookie'] as unknown as string[])
      .find((line) => line.startsWith('dashboard_refresh='))!
      .split(';')[0];

    // No access cookie (expired in the browser): the page still loads, with rotated cookies.
    const page = await http().get('/devices').set('Cookie', refreshCookie).expect(200);
    const rotated = (page.headers['set-cookie'] as unknown as string[])
      .find((line) => line.startsWith('dashboard_refresh='))!
      .split(';')[0];
    expect(rotated).not.toBe(refreshCookie);
    expect(page.text).toContain('Your devices');

    // The spent cookie, replayed after the grace period, is theft: the session ends.
    clock.advance(11_000);
    try {
      await http().get('/devices').set('Cookie', refreshCookie).expect(303);
      await http().get('/devices').set('Cookie', rotated).expect(303);
    } finally {
      clock.advance(-11_000);
    }
  });

  it('answers hostile form fields on a signed-in page with 4xx, never 500', async () => {
    const { cookie, signedIn } = await registerAndSignIn('hostile-form@example.com');
    const session = [...cookie, ...(signedIn.headers['set-cookie'] as unknown as string[])].map((line) => line.split(';')[0]);
    const page = await http().get('/devices').set('Cookie', session).expect(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const deviceId = /data-device-id="([^"]+)"/.exec(page.text)![1];
    for (const body of [
      `_csrf=${encodeURIComponent(token)}&constructor=x&name=Phone`,
      `_csrf=${encodeURIComponent(token)}&__proto__=x&name=Phone`,
      `_csrf=${encodeURIComponent(token)}&name=a&name=b`,
      `_csrf=${encodeURIComponent(token)}&name=${encodeURIComponent('x'.repeat(65))}`,
    ]) {
      const response = await http().post(`/devices/${deviceId}/rename`).set('Cookie', session).type('form').send(body);
      expect(response.status).toBeGreaterThanOrEqual(300);
      expect(response.status).toBeLessThan(500);
    }
    const name = (await dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: deviceId })).name;
    expect(name).not.toBe('a');
  });

  it.each([
    ['non-ASCII', '/%C4%81'],
    ['a NUL', '/devices%00'],
    ['CR LF (header injection)', '/devices%0D%0ASet-Cookie:%20x=1'],
    ['a tab', '/%09/evil.example'],
    ['DEL', '/devices%7F'],
    ['a space', '/devices%20x'],
    ['another origin', 'https%3A%2F%2Fevil.example%2F'],
    ['a protocol-relative URL', '%2F%2Fevil.example'],
    ['a backslash authority', '%2F%5Cevil.example'],
    ['two values', '%2Factivity&next=%2F%2Fevil.example'],
    ['a very long path', `/${'a'.repeat(600)}`],
  ])('after signing in with a hostile next (%s) lands on /devices, signed in, never a 5xx', async (_, next) => {
    const email = `next-${Math.random().toString(36).slice(2)}@example.com`;
    await register(email);
    const { cookie, csrf } = await signInForm();
    const response = await http()
      .post(`/signin?next=${next}`)
      .set('Cookie', cookie)
      .type('form')
      .send({ email, password: PASSWORD, _csrf: csrf });
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('/devices');
    const session = [...cookie, ...(response.headers['set-cookie'] as unknown as string[])].map((line) => line.split(';')[0]);
    const page = await http().get('/devices').set('Cookie', session).expect(200);
    // One web device, and it is this session's own ("this browser"): nothing orphaned.
    expect(page.text.match(/data-device-id=/g)).toHaveLength(1);
    expect(page.text).toContain('This browser');
  });

  it('follows a same-origin next after sign-in, carried exactly through the form', async () => {
    await register('next-ok@example.com');
    const form = await http()
      .get(`/signin?next=${encodeURIComponent('/activity?x=1&y=2')}`)
      .expect(200);
    const action = /action="([^"]+)"/.exec(form.text)![1].replaceAll('&amp;', '&');
    expect(action).toBe(`/signin?next=${encodeURIComponent('/activity?x=1&y=2')}`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
    const response = await http()
      .post(action)
      .set('Cookie', form.headers['set-cookie'] as unknown as string[])
      .type('form')
      .send({ email: 'next-ok@example.com', password: PASSWORD, _csrf: csrf })
      .expect(303);
    expect(response.headers.location).toBe('/activity?x=1&y=2');
  });

  it('rate-limits failed sign-ins like the API: 429 with Retry-After', async () => {
    // LOGIN_RATE_LIMIT is 4 per IP here (earlier tests of this file may have used some of it).
    await register('limited@example.com');
    const attempt = async (password: string) => {
      const { cookie, csrf } = await signInForm();
      return http().post('/signin').set('Cookie', cookie).type('form').send({ email: 'limited@example.com', password, _csrf: csrf });
    };
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await attempt('wrong password')).status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(4);
    expect(statuses.slice(statuses.indexOf(429))).toEqual(Array(5 - statuses.indexOf(429)).fill(429));
    const limited = await attempt(PASSWORD);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.text).toContain('Too many failed sign-ins');
  });

  it("serves pages with exactly the CSP of API.md (scripts from 'self' only, nothing inline), anti-framing and referrer headers", async () => {
    const policy =
      "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    for (const path of ['/signin', '/devices', '/no-such-page', '/static/app.css']) {
      const response = await http().get(path);
      expect(response.headers['content-security-policy']).toBe(policy);
    }
    const response = await http().get('/signin').expect(200);
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['referrer-policy']).toBe('same-origin');
    await http()
      .get('/static/app.css')
      .expect(200)
      .expect('Content-Type', /text\/css/);
    // The passkey scripts: JavaScript, cached long under URLs that carry their content's hash.
    const signIn = await http().get('/signin').expect(200);
    const scripts = [...signIn.text.matchAll(/<script src="([^"]+)" defer><\/script>/g)].map((match) => match[1]);
    expect(scripts).toEqual([
      expect.stringMatching(/^\/static\/simplewebauthn-browser\.js\?v=[0-9a-f]{16}$/),
      expect.stringMatching(/^\/static\/passkeys\.js\?v=[0-9a-f]{16}$/),
    ]);
    for (const src of scripts) {
      const script = await http().get(src).expect(200);
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
  });
});
