import { describe, expect, it } from '@jest/globals';
import { securityWebhookRetryDelayMs } from './security-webhook-retry.js';

const least = () => 0;
const most = () => 0.999999;

describe('securityWebhookRetryDelayMs', () => {
  it('waits 1 s, 2 s, 4 s … after the 1st, 2nd, 3rd … failure, doubling each time', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempts) => securityWebhookRetryDelayMs(attempts, least))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000,
    ]);
    expect(securityWebhookRetryDelayMs(10, least)).toBe(512_000);
  });

  it('never waits more than 10 minutes (before jitter), however many attempts failed', () => {
    expect(securityWebhookRetryDelayMs(11, least)).toBe(600_000);
    expect(securityWebhookRetryDelayMs(12, least)).toBe(600_000);
    expect(securityWebhookRetryDelayMs(5000, least)).toBe(600_000);
    expect(securityWebhookRetryDelayMs(Number.MAX_SAFE_INTEGER, least)).toBe(600_000);
    expect(securityWebhookRetryDelayMs(5000, most)).toBe(720_000);
  });

  it('treats an attempt count below 1 as the first failure', () => {
    expect(securityWebhookRetryDelayMs(0, least)).toBe(1000);
    expect(securityWebhookRetryDelayMs(-3, least)).toBe(1000);
  });

  it('stretches each wait by at least nothing and at most a fifth, at random', () => {
    for (let attempts = 1; attempts <= 15; attempts++) {
      const base = securityWebhookRetryDelayMs(attempts, least);
      expect(securityWebhookRetryDelayMs(attempts, most)).toBe(Math.round(base * 1.2));
      for (const value of [0.1, 0.25, 0.5, 0.75, 0.9]) {
        const delay = securityWebhookRetryDelayMs(attempts, () => value);
        expect(delay).toBe(Math.round(base * (1 + value * 0.2)));
        expect(delay).toBeGreaterThanOrEqual(base);
        expect(delay).toBeLessThanOrEqual(base * 1.2);
      }
    }
  });

  it('with the default random source, stays within the bounds and spreads the retries of many events', () => {
    const delays = Array.from({ length: 1000 }, () => securityWebhookRetryDelayMs(3));
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(4000);
      expect(delay).toBeLessThanOrEqual(4800);
    }
    expect(new Set(delays).size).toBeGreaterThan(100);
  });
});
