import { refusal } from './login-attempt-limiter.js';

const window = (attempts: number, windowEndsAt: number) => ({ keyHash: 'k', attempts, windowEndsAt });

describe('login attempt limiter arithmetic', () => {
  it('allows the attempt that reaches the limit and refuses the next', () => {
    expect(refusal([window(10, 60_000)], 10, 0)).toBeNull();
    expect(refusal([window(11, 60_000)], 10, 0)).toBe(60);
  });

  it('refuses when either the email or the IP is over, until the later of their windows ends', () => {
    expect(refusal([window(3, 30_000), window(11, 90_000)], 10, 0)).toBe(90);
    expect(refusal([window(12, 30_000), window(11, 90_000)], 10, 10_000)).toBe(80);
    expect(refusal([window(12, 30_000), window(1, 90_000)], 10, 10_000)).toBe(20);
  });

  it('counts a burst of N parallel attempts as N: only the first `max` of them get through', () => {
    const verdicts = Array.from({ length: 50 }, (_, index) => refusal([window(index + 1, 900_000)], 10, 0));
    expect(verdicts.filter((verdict) => verdict === null)).toHaveLength(10);
  });
});
