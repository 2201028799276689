import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { generateKeyPair, generateProof, type KeyPair } from 'dpop';
import type { Response } from 'supertest';
import type { TokenResponse } from '@app/auth';
import { UserRepository } from '@app/persistence';
import { startTestApi, type TestApi } from '../../api/test/support/test-api.js';
import { DashboardClient } from './support/dashboard-client.js';
import { startTestDashboard, type TestDashboard } from './support/test-dashboard.js';

const PASSWORD = 'correct horse battery';
const PUBLIC_URL = 'https://auth.example.test';
const GRACE_MS = 10_000;
const MINUTE_MS = 60_000;

jest.setTimeout(120_000);

/**
 * API.md § Device-bound tokens, Abuse: refused DPoP proofs are recorded at most once per device
 * per minute, reuse detections get their own list on the operators' overview, and the activity
 * page collapses runs. Found on the old code: 60 refused key-bound refreshes pushed a real
 * `refresh_token_reused` detection off the overview (the 50 newest threats of both kinds, mixed)
 * and off the victim's own activity page. Everything here goes through the real apps: the API
 * (sign-ins with proofs made by panva's `dpop`, refreshes, the reuse) and the dashboard on the
 * same database, moving one clock that both share.
 */
describe('refused DPoP proofs never push a reuse detection out of sight (e2e)', () => {
  let api: TestApi;
  let dashboard: TestDashboard;
  let admin: NestFastifyApplication;
  let operator: DashboardClient;
  let counter = 0;

  beforeAll(async () => {
    api = await startTestApi({ PUBLIC_URL });
    dashboard = await startTestDashboard({ DATABASE_URL: api.databaseUrl, LOGIN_RATE_LIMIT: '1000/15m', PUBLIC_URL }, { clock: api.clock });
    admin = dashboard.app;
    const email = 'operator@example.com';
    const { body } = await api.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
    await admin.get(UserRepository).setRole((body as { id: string }).id, 'operator');
    operator = new DashboardClient(admin);
    await operator.signIn(email, PASSWORD);
  });

  afterAll(async () => {
    await dashboard.close();
    await api.close();
  });

  interface Victim {
    readonly email: string;
    readonly userId: string;
    /** Signed in with a proof: bound to `keys`. */
    readonly phone: TokenResponse;
    readonly keys: KeyPair;
    /** Their own browser on the dashboard. */
    readonly browser: DashboardClient;
  }

  /**
   * An account with a key-bound phone and a bearer tablet whose refresh token was used again
   * after the grace period: a reuse detection (the tablet signed out). User-typed names carry
   * markup, which must stay text on every page.
   */
  async function victimWithReuse(): Promise<Victim> {
    const email = `victim-${++counter}@example.com`;
    const { body } = await api.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);
    const keys = await generateKeyPair('ES256');
    const phone = (
      await api
        .http()
        .post('/auth/login')
        .set('DPoP', await generateProof(keys, `${PUBLIC_URL}/auth/login`, 'POST'))
        .send({ email, password: PASSWORD, device: { name: '<b>Bound</b> phone', platform: 'ios' } })
        .expect(200)
    ).body as TokenResponse;
    expect(phone.token_type).toBe('DPoP');
    const tablet = (
      await api
        .http()
        .post('/auth/login')
        .send({ email, password: PASSWORD, device: { name: 'Tablet "<i>"', platform: 'android' } })
        .expect(200)
    ).body as TokenResponse;
    expect(tablet.token_type).toBe('Bearer');
    expect((await refresh(tablet.refresh_token)).status).toBe(200);
    api.clock.advance(GRACE_MS + 1_000);
    const reused = await refresh(tablet.refresh_token);
    expect(reused.status).toBe(400);
    expect(reused.body).toMatchObject({ error: 'invalid_grant', reason: 'reused' });
    const browser = new DashboardClient(admin);
    await browser.signIn(email, PASSWORD);
    return { email, userId: (body as { id: string }).id, phone, keys, browser };
  }

  async function refresh(refreshToken: string, keys?: KeyPair): Promise<Response> {
    const request = api.http().post('/auth/refresh');
    if (keys) request.set('DPoP', await generateProof(keys, `${PUBLIC_URL}/auth/refresh`, 'POST'));
    return request.send({ refresh_token: refreshToken });
  }

  /** The refresh of the victim's key-bound phone without a proof, `count` times in a row. */
  async function refusedRefreshes(victim: Victim, count: number): Promise<Response[]> {
    const answers: Response[] = [];
    for (let index = 0; index < count; index++) answers.push(await refresh(victim.phone.refresh_token));
    return answers;
  }

  /** The part of a page under one heading (up to the next). */
  function section(html: string, heading: string): string {
    const start = html.indexOf(`<h2>${heading}</h2>`);
    if (start < 0) throw new Error(`no "${heading}" on the page`);
    const end = html.indexOf('<h2>', start + 1);
    return html.slice(start, end < 0 ? undefined : end);
  }

  const REUSE_TEXT = 'Refresh token reuse detected on &#x27;Tablet &quot;&lt;i&gt;&quot;&#x27; — device signed out';
  const refusedText = (count: number) =>
    `Refreshes of key-bound &#x27;&lt;b&gt;Bound&lt;/b&gt; phone&#x27; without its key were refused ×${count.toLocaleString('en')}`;
  const linesOf = (html: string, type: string) => html.match(new RegExp(`<li class="event event-${type}">`, 'g'))?.length ?? 0;

  async function page(client: DashboardClient, path: string): Promise<string> {
    const response = await client.get(path);
    expect(response.status).toBe(200);
    expect(response.text).not.toMatch(/<(b|i)>/);
    return response.text;
  }

  it('100 refused refreshes then the overview and activity page still show the earlier reuse detection', async () => {
    const victim = await victimWithReuse();

    const answers = await refusedRefreshes(victim, 100);
    expect(answers.slice(0, 10).map((answer) => [answer.status, answer.body.error])).toEqual(Array(10).fill([400, 'invalid_dpop_proof']));
    expect(answers.slice(10).map((answer) => answer.status)).toEqual(Array(90).fill(429));
    expect(answers[10].headers['retry-after']).toBeDefined();

    const overview = await page(operator, '/admin');
    const reuse = section(overview, 'Refresh-token reuse detections');
    expect(reuse).toContain(`<a href="/admin/users/${victim.userId}">${victim.email}</a>: ${REUSE_TEXT}`);
    const refused = section(overview, 'Refused DPoP proofs');
    expect(refused).toContain(`<a href="/admin/users/${victim.userId}">${victim.email}</a>: ${refusedText(10)} — nothing changed`);
    expect(linesOf(refused, 'dpop_proof_rejected')).toBe(1);

    for (const activity of [await page(victim.browser, '/activity'), await page(operator, `/admin/users/${victim.userId}`)]) {
      expect(activity).toContain(REUSE_TEXT);
      expect(activity).toContain(refusedText(10));
      expect(linesOf(activity, 'dpop_proof_rejected')).toBe(1);
      expect(activity).toContain('Signed in on &#x27;&lt;b&gt;Bound&lt;/b&gt; phone&#x27;');
      expect(activity).toContain('Account created');
    }

    // Nothing was spent or revoked: the owner's phone, with its key, still refreshes.
    expect((await refresh(victim.phone.refresh_token, victim.keys)).status).toBe(200);
  });

  it('refusals in 60 consecutive minutes are one line of activity with their sum, and leave the reuse detection on both pages', async () => {
    const victim = await victimWithReuse();
    // Three refusals a minute, an hour long: 60 events (one per minute), more than either page shows.
    for (let minute = 0; minute < 60; minute++) {
      const answers = await refusedRefreshes(victim, 3);
      expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400]);
      api.clock.advance(MINUTE_MS + 1_000);
    }

    const overview = await page(operator, '/admin');
    const reuse = section(overview, 'Refresh-token reuse detections');
    expect(reuse).toContain(`<a href="/admin/users/${victim.userId}">${victim.email}</a>: ${REUSE_TEXT}`);
    const refused = section(overview, 'Refused DPoP proofs');
    expect(linesOf(refused, 'dpop_proof_rejected')).toBe(50);
    expect(refused.split(refusedText(3)).length - 1).toBe(50);

    // The victim's dashboard session has outlived its access token meanwhile: it refreshes itself.
    for (const activity of [await page(victim.browser, '/activity'), await page(operator, `/admin/users/${victim.userId}`)]) {
      expect(activity).toContain(REUSE_TEXT);
      expect(linesOf(activity, 'dpop_proof_rejected')).toBe(1);
      expect(activity).toContain(refusedText(180));
      expect(activity.indexOf(refusedText(180))).toBeLessThan(activity.indexOf(REUSE_TEXT));
      expect(activity).toContain('Signed in on &#x27;&lt;b&gt;Bound&lt;/b&gt; phone&#x27;');
      expect(activity).toContain('Account created');
    }
    // Back to the real time for a proof of the owner's key (`dpop` stamps its iat from the system clock).
    api.clock.advance(-60 * (MINUTE_MS + 1_000));
    expect((await refresh(victim.phone.refresh_token, victim.keys)).status).toBe(200);
  });
});
