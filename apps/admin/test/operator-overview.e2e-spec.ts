import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { AuthService } from '@app/auth';
import { KeyRing } from '@app/keys';
import { DeviceRepository, SecurityEventRepository, UserRepository, type DevicePlatform, type SecurityEventType } from '@app/persistence';
import { scratchDatabase, type ScratchDatabase } from '../../../test/support/scratch-database.js';
import { createAdminApp } from '../src/create-admin-app.js';
import { DashboardClient } from './support/dashboard-client.js';
import { startTestDashboard, type TestDashboard } from './support/test-dashboard.js';

const PASSWORD = 'correct horse battery';
const DAY = 86_400_000;

jest.setTimeout(60_000);

/** The operators' overview (/admin) and the user search by email prefix (/admin/users), on a real database. */
describe('operator overview and user search (e2e)', () => {
  let dashboard: TestDashboard;
  let app: NestFastifyApplication;
  let operator: DashboardClient;
  let customer: DashboardClient;

  beforeAll(async () => {
    dashboard = await startTestDashboard({ LOGIN_RATE_LIMIT: '1000/15m' });
    app = dashboard.app;
    const auth = app.get(AuthService);
    const { id } = await auth.register({ email: 'operator@example.com', password: PASSWORD }, { ip: null, userAgent: null });
    await app.get(UserRepository).setRole(id, 'operator');
    await auth.register({ email: 'customer@example.com', password: PASSWORD }, { ip: null, userAgent: null });
    operator = new DashboardClient(app);
    await operator.signIn('operator@example.com', PASSWORD);
    customer = new DashboardClient(app);
    await customer.signIn('customer@example.com', PASSWORD);
  });

  afterAll(() => dashboard?.close());

  /** An account straight into the table (no password hashing: these never sign in). */
  async function account(email: string): Promise<string> {
    const id = randomUUID();
    await app
      .get(UserRepository)
      .insertIfEmailFree({ id, email, passwordHash: 'unused', createdAt: Date.now(), passwordChangedAt: Date.now() });
    return id;
  }

  async function device(userId: string, platform: DevicePlatform, state: { revoked?: boolean; expired?: boolean } = {}): Promise<void> {
    const now = Date.now();
    await app.get(DeviceRepository).insert({
      id: randomUUID(),
      userId,
      name: `${platform} device`,
      platform,
      userAgent: null,
      ip: null,
      createdAt: now,
      lastSeenAt: now,
      sessionExpiresAt: state.expired ? now - 1000 : now + 90 * DAY,
      revokedAt: state.revoked ? now : null,
      revokedReason: state.revoked ? 'revoked' : null,
      revokedBy: null,
      jkt: null,
      client: 'api',
      authTime: now,
      amr: 'pwd',
    });
  }

  async function event(userId: string, type: SecurityEventType, deviceName: string, createdAt: number, occurrences = 1): Promise<void> {
    await app.get(SecurityEventRepository).record({
      occurrences,
      userId,
      type,
      deviceId: randomUUID(),
      deviceName,
      actor: 'system',
      actorUserId: null,
      actorDeviceId: null,
      reason: type === 'refresh_token_reused' ? 'refresh_token_reused' : null,
      ip: '203.0.113.7',
      userAgent: null,
      createdAt,
    });
  }

  const emailsOn = (html: string) =>
    [...html.matchAll(/<li><a href="\/admin\/users\/[0-9a-f-]{36}">([^<]*)<\/a><\/li>/g)].map((match) => match[1]);
  const linkOn = (html: string, rel: string) =>
    html
      .match(new RegExp(`<a href="([^"]*)" rel="${rel}">`))?.[1]
      ?.replaceAll('&#x3D;', '=')
      .replaceAll('&amp;', '&') ?? null;
  /** The part of the overview under one heading (up to the next). */
  const section = (html: string, heading: string) => {
    const start = html.indexOf(`<h2>${heading}</h2>`);
    if (start < 0) throw new Error(`no "${heading}" on the page`);
    const end = html.indexOf('<h2>', start + 1);
    return html.slice(start, end < 0 ? undefined : end);
  };
  const reuseOn = (html: string) => section(html, 'Refresh-token reuse detections');
  const refusedOn = (html: string) => section(html, 'Refused DPoP proofs');

  it('counts the active devices per platform, leaving out revoked and expired sessions', async () => {
    const owner = await account('counted@example.com');
    for (const platform of ['ios', 'ios', 'android', 'other'] as const) await device(owner, platform);
    await device(owner, 'android', { revoked: true });
    await device(owner, 'ios', { expired: true });

    const page = await operator.get('/admin');
    expect(page.status).toBe(200);
    // Plus the two dashboard sign-ins of this suite (web).
    expect(page.text).toContain('<dd class="count-total">6</dd>');
    expect(page.text).toContain('<dd class="count-ios">2</dd>');
    expect(page.text).toContain('<dd class="count-android">1</dd>');
    expect(page.text).toContain('<dd class="count-web">2</dd>');
    expect(page.text).toContain('<dd class="count-other">1</dd>');
    expect(page.text).toContain('<dd class="count-accounts">3</dd>');
    expect(page.text).toContain('aria-current="page">Overview</a>');
    // SECURITY_WEBHOOK_URL is unset here: no webhook section.
    expect(page.text).not.toContain('webhook-pending');
    // JWT_SECRET is set here: a static key, no managed keys to list.
    expect(section(page.text, 'Signing keys')).toContain('A static key (JWT_SECRET or JWT_PRIVATE_KEY) signs every token');
  });

  it('lists reuse detections and refused DPoP proofs apart, across accounts, newest first, escaped, linked to the account, with the count', async () => {
    const victim = await account('victim@example.com');
    const other = await account('other+<i>@example.com');
    const now = Date.now();
    await event(victim, 'refresh_token_reused', '<script>alert(1)</script>', now - 3000);
    await event(other, 'dpop_proof_rejected', 'Pixel "8"', now - 2000, 7);
    await event(victim, 'dpop_proof_rejected', 'Once', now - 1500);
    await event(victim, 'device_revoked', 'Not a threat', now - 1000);
    await event(victim, 'login', 'Not a threat either', now - 500);

    const page = (await operator.get('/admin')).text;
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('Not a threat');
    const reuse = reuseOn(page);
    expect(reuse).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(reuse).toContain(`<a href="/admin/users/${victim}">victim@example.com</a>`);
    expect(reuse).not.toContain(other);
    expect(reuse).toContain('203.0.113.7');
    const refused = refusedOn(page);
    expect(refused).toContain(`<a href="/admin/users/${other}">other+&lt;i&gt;@example.com</a>`);
    expect(refused).toContain('Refreshes of key-bound &#x27;Pixel &quot;8&quot;&#x27; without its key were refused ×7');
    expect(refused).toContain('A refresh of key-bound &#x27;Once&#x27; without its key was refused');
    expect(refused.indexOf('Once')).toBeLessThan(refused.indexOf('Pixel'));
    expect(refused).not.toContain('alert(1)');
  });

  it('shows the 50 newest of each list, and no number of refused proofs pushes a reuse detection off', async () => {
    const victim = await account('flooded@example.com');
    const now = Date.now() + 10_000;
    for (let index = 0; index < 60; index++) await event(victim, 'refresh_token_reused', `Flood ${index}`, now + index);
    const flooded = (await operator.get('/admin')).text;
    expect(reuseOn(flooded).match(/<li class="event event-/g)).toHaveLength(50);
    expect(reuseOn(flooded)).toContain('&#x27;Flood 59&#x27;');
    expect(reuseOn(flooded)).not.toContain('&#x27;Flood 9&#x27;');

    for (let index = 0; index < 120; index++) await event(victim, 'dpop_proof_rejected', `Refused ${index}`, now + 1000 + index, 10);
    const both = (await operator.get('/admin')).text;
    expect(reuseOn(both).match(/<li class="event event-refresh_token_reused">/g)).toHaveLength(50);
    expect(reuseOn(both)).toContain('&#x27;Flood 59&#x27;');
    expect(reuseOn(both)).toContain('&#x27;Flood 10&#x27;');
    expect(refusedOn(both).match(/<li class="event event-dpop_proof_rejected">/g)).toHaveLength(50);
    expect(refusedOn(both)).toContain('&#x27;Refused 119&#x27; without its key were refused ×10');
    expect(refusedOn(both)).not.toContain('&#x27;Refused 69&#x27;');
  });

  it('finds users by the start of their email, normalised, a page of 25 at a time in email order', async () => {
    const emails = Array.from({ length: 31 }, (_, index) => `pager-${String(index).padStart(2, '0')}@example.com`);
    for (const email of [...emails].reverse()) await account(email);
    await account('apager@example.com');

    const first = await operator.get('/admin/users?email=%20PAGER-');
    expect(first.status).toBe(200);
    expect(emailsOn(first.text)).toEqual(emails.slice(0, 25));
    expect(linkOn(first.text, 'first')).toBeNull();
    const next = linkOn(first.text, 'next');
    expect(next).toBe(`/admin/users?email=PAGER-&after=${encodeURIComponent(emails[24])}`);

    // Accounts added before the cursor do not shift the next page.
    await account('pager-00a@example.com');
    const second = await operator.get(next!);
    expect(emailsOn(second.text)).toEqual(emails.slice(25));
    expect(linkOn(second.text, 'next')).toBeNull();
    expect(linkOn(second.text, 'first')).toBe('/admin/users?email=PAGER-');

    await account('éclair@example.com');
    expect(emailsOn((await operator.get(`/admin/users?email=${encodeURIComponent('E\u0301CLAIR')}`)).text)).toEqual(['éclair@example.com']);
  });

  it('takes % and _ literally, escapes what was typed, and answers odd input with a page, never an error', async () => {
    await account('a_b@example.com');
    await account('axb@example.com');
    await account('100%@example.com');
    expect(emailsOn((await operator.get('/admin/users?email=a_')).text)).toEqual(['a_b@example.com']);
    expect(emailsOn((await operator.get('/admin/users?email=100%25')).text)).toEqual(['100%@example.com']);
    expect(emailsOn((await operator.get('/admin/users?email=%25')).text)).toEqual([]);

    const typed = await operator.get(`/admin/users?email=${encodeURIComponent('"><script>x</script>')}`);
    expect(typed.status).toBe(200);
    expect(typed.text).not.toContain('<script>');
    expect(typed.text).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(typed.text).toContain('No user matches.');

    for (const query of [
      `email=${'a'.repeat(5000)}`,
      `email=a&after=${'z'.repeat(5000)}`,
      'email=a&email=b',
      'email[x]=1',
      'email=%E0%A4%A',
      'email=%F0%9F%98%80',
      'email=\u0000',
      `email=${encodeURIComponent('a\u200bb')}`,
      'email=a&after=',
      'after=a',
    ]) {
      const response = await operator.get(`/admin/users?${query}`);
      expect(`${query.slice(0, 30)} ${response.status}`).toBe(`${query.slice(0, 30)} 200`);
    }
  });

  it('answers 404 to anyone but an operator, and shows them no link', async () => {
    for (const path of ['/admin', '/admin/users?email=a']) expect((await customer.get(path)).status).toBe(404);
    const own = await customer.get('/devices');
    expect(own.text).not.toContain('href="/admin"');
  });
});

/** With managed keys (no static key), the overview lists them from the process's key ring. */
describe('operator overview: managed signing keys (e2e)', () => {
  let database: ScratchDatabase;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    database = await scratchDatabase();
    app = await createAdminApp({
      env: { DATABASE_URL: database.url, KEY_ENCRYPTION_SECRET: 'admin-e2e-key-encryption-secret-32-bytes!', LOGIN_RATE_LIMIT: '1000/15m' },
      logger: false,
    });
  });

  afterAll(async () => {
    await app.close();
    await database.remove();
  });

  it('shows each key with its state and times', async () => {
    const auth = app.get(AuthService);
    const { id } = await auth.register({ email: 'keys-operator@example.com', password: PASSWORD }, { ip: null, userAgent: null });
    await app.get(UserRepository).setRole(id, 'operator');
    const operator = new DashboardClient(app);
    await operator.signIn('keys-operator@example.com', PASSWORD);
    const listed = await app.get(KeyRing).list(Date.now());
    expect(listed.map((key) => key.status.state)).toEqual(['current', 'next']);
    const page = (await operator.get('/admin')).text;
    const rows = [
      ...page.matchAll(/<tr class="signing-key state-(\w+)"><td><code>([^<]+)<\/code><\/td><td>[^<]*<\/td><td>ES256<\/td>/g),
    ].map((match) => [match[1], match[2]]);
    expect(rows).toEqual(listed.map((key) => [key.status.state, key.kid]));
  });
});
