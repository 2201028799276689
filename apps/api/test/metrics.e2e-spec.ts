import { generateKeyPair, generateProof } from 'dpop';
import { registerAndLogin, refresh, startTestApi, type TestApi } from './support/test-api.js';

const METRICS_TOKEN = 'scrape-token-for-tests-0123456789';

/** Reads one sample's value from the Prometheus text format (0 when the series is absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',');
    if (wanted.every((label) => present.includes(label))) return Number(match[3]);
  }
  return 0;
}

/** API.md: Prometheus metrics at GET /metrics with `Authorization: Bearer <METRICS_TOKEN>`. */
describe('metrics (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ METRICS_TOKEN, LOGIN_RATE_LIMIT: '2/15m' });
  });

  afterAll(async () => {
    await api.close();
  });

  const scrape = async () => {
    const response = await api.http().get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers['cache-control']).toBe('no-store');
    return response.text;
  };

  it('answers 401 without the token or with a wrong one, in constant shape', async () => {
    for (const authorization of [
      undefined,
      'Bearer wrong-token',
      `Bearer ${METRICS_TOKEN}x`,
      `Basic ${METRICS_TOKEN}`,
      `Bearer ${METRICS_TOKEN.slice(0, -1)}`,
    ]) {
      const call = api.http().get('/metrics');
      const response = await (authorization ? call.set('Authorization', authorization) : call);
      expect(response.status).toBe(401);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      expect(response.text).not.toContain('auth_');
    }
  });

  it('counts a key-bound access token presented without its key (as Bearer) as a DPoP rejection', async () => {
    // Before the tests that move the clock: the proof's iat is the real time.
    const { email, password } = await registerAndLogin(api);
    const keys = await generateKeyPair('ES256');
    // Without PUBLIC_URL, htu is checked against the request's own scheme and Host.
    const bound = await api
      .http()
      .post('/auth/login')
      .set('Host', 'auth.test')
      .set('DPoP', await generateProof(keys, 'http://auth.test/auth/login', 'POST'))
      .send({ email, password, device: { name: 'Bound' } })
      .expect(200);
    expect(bound.body.token_type).toBe('DPoP');
    const before = await scrape();
    await api.http().get('/me').set('Authorization', `Bearer ${bound.body.access_token}`).expect(401);
    const after = await scrape();
    expect(
      sample(after, 'auth_dpop_rejections_total', { error: 'invalid_token' }) -
        sample(before, 'auth_dpop_rejections_total', { error: 'invalid_token' }),
    ).toBe(1);
  });

  it('counts a refresh-token reuse detection and a 429 (and the sign-ins, refreshes and revocations around them)', async () => {
    const before = await scrape();
    const { email, tokens } = await registerAndLogin(api);
    // Reuse: the rotated-away token replayed after the 10 s grace period.
    await refresh(api, tokens.refresh_token).expect(200);
    api.clock.advance(11_000);
    const reused = await refresh(api, tokens.refresh_token).expect(400);
    expect(reused.body.reason).toBe('reused');
    // Two wrong passwords use up LOGIN_RATE_LIMIT=2; the third attempt is refused with 429.
    const wrong = { email, password: 'not the password', device: { name: 'x' } };
    await api.http().post('/auth/login').send(wrong).expect(401);
    await api.http().post('/auth/login').send(wrong).expect(401);
    await api.http().post('/auth/login').send(wrong).expect(429);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('auth_refresh_token_reuse_detected_total')).toBe(1);
    expect(delta('auth_revocations_total', { reason: 'refresh_token_reused' })).toBe(1);
    expect(delta('auth_refreshes_total', { outcome: 'success' })).toBe(1);
    expect(delta('auth_refreshes_total', { outcome: 'reused' })).toBe(1);
    expect(delta('http_rate_limited_total', { route: '/auth/login' })).toBe(1);
    expect(delta('http_request_duration_seconds_count', { method: 'POST', route: '/auth/login', status_code: '429' })).toBe(1);
    expect(delta('auth_sign_ins_total', { outcome: 'success' })).toBe(1);
    expect(delta('auth_sign_ins_total', { outcome: 'invalid_credentials' })).toBe(2);
    expect(delta('auth_sign_ins_total', { outcome: 'rate_limited' })).toBe(1);
    // The reused device is in this process's revocation set, and the sync has run.
    expect(sample(after, 'auth_revocation_set_size')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'auth_revocation_sync_last_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(sample(after, 'auth_revocation_sync_lag_seconds')).toBeLessThan(30);
    expect(after).toMatch(/^auth_password_hash_queue_depth \d+$/m);
    expect(after).toMatch(/^process_cpu_seconds_total /m);
  });

  it('counts DPoP proofs refused at sign-in', async () => {
    const before = await scrape();
    api.clock.advance(16 * 60_000); // past the sign-in window the test above used up
    const { email, password } = await registerAndLogin(api);
    await api
      .http()
      .post('/auth/login')
      .set('DPoP', 'not.a.proof')
      .send({ email, password, device: { name: 'x' } })
      .expect(400);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('auth_dpop_rejections_total', { error: 'invalid_dpop_proof' })).toBe(1);
    expect(delta('auth_sign_ins_total', { outcome: 'dpop_rejected' })).toBe(1);
  });

  it('labels latency by route template, never by the raw URL', async () => {
    api.clock.advance(16 * 60_000); // past the sign-in window the test above used up
    const { tokens } = await registerAndLogin(api);
    const id = tokens.device_id;
    await api.http().patch(`/devices/${id}`).set('Authorization', `Bearer ${tokens.access_token}`).send({ name: 'Renamed' }).expect(200);
    const text = await scrape();
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'PATCH', route: '/devices/:id', status_code: '200' })).toBe(1);
    expect(text).not.toContain(id);
  });
});

describe('metrics switched off (e2e)', () => {
  it('answers 404 at /metrics while METRICS_TOKEN is unset', async () => {
    const api = await startTestApi();
    try {
      await api.http().get('/metrics').expect(404);
      await api.http().get('/metrics').set('Authorization', 'Bearer anything-at-all-here').expect(404);
    } finally {
      await api.close();
    }
  });
});
