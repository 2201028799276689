import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerAndLogin, bearer, startTestApi, type TestApi } from './support/test-api.js';

const APP_ORIGIN = 'https://app.example.com';

describe('CORS for browser apps on other origins (CORS_ORIGINS)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ CORS_ORIGINS: `${APP_ORIGIN}, http://localhost:5173` });
  });
  afterAll(() => api.close());

  it('answers a listed origin’s preflight with that origin, the allowed and exposed headers, and no credentials', async () => {
    const response = await api
      .http()
      .options('/devices')
      .set('Origin', APP_ORIGIN)
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization, dpop');
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    expect(response.headers['vary']).toMatch(/Origin/i);
    const allowed = response.headers['access-control-allow-headers'].toLowerCase().split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'dpop', 'content-type', 'x-request-id']));
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('answers a listed origin’s request with that origin and exposes the DPoP nonce, challenge, retry and request-id headers', async () => {
    const { tokens } = await registerAndLogin(api);
    const response = await api.http().get('/me').set('Origin', 'http://localhost:5173').set('Authorization', bearer(tokens)).expect(200);
    expect(response.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(response.headers['vary']).toMatch(/Origin/i);
    const exposed = response.headers['access-control-expose-headers'].toLowerCase().split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['dpop-nonce', 'www-authenticate', 'retry-after', 'x-request-id']));
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('gives any other origin no CORS headers, on preflight or request (an origin is matched exactly)', async () => {
    for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.example', 'http://app.example.com', 'null']) {
      const preflight = await api.http().options('/devices').set('Origin', origin).set('Access-Control-Request-Method', 'DELETE');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      const plain = await api.http().get('/').set('Origin', origin).expect(200);
      expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    }
  });
});

describe('CORS off (default)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('answers no origin with CORS headers', async () => {
    const response = await api.http().get('/').set('Origin', APP_ORIGIN).expect(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});
