import { AppConfig } from './app-config.js';
import { httpServerOptions } from './http-server-options.js';

const config = (env: Record<string, string>) =>
  AppConfig.fromEnv({ JWT_SECRET: 'a-configuration-test-secret-of-32-bytes-or-more', ...env });

describe('httpServerOptions', () => {
  it('sets Node’s request and header timeouts together, checked every second', () => {
    expect(httpServerOptions(config({ REQUEST_TIMEOUT: '20s' }))).toMatchObject({
      requestTimeout: 20_000,
      http: { headersTimeout: 20_000, requestTimeout: 20_000, connectionsCheckingInterval: 1000 },
    });
  });

  it('believes no proxy by default, the listed ones, or the nearest N hops', () => {
    expect(httpServerOptions(config({})).trustProxy).toBe(false);
    expect(httpServerOptions(config({ TRUST_PROXY: '10.0.0.0/8' })).trustProxy).toEqual(['10.0.0.0/8']);
    const hops = httpServerOptions(config({ TRUST_PROXY: '1' })).trustProxy as (address: string, hop: number) => boolean;
    expect([hops('10.0.0.1', 0), hops('203.0.113.9', 1)]).toEqual([true, false]);
  });
});
