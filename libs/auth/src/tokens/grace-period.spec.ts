import { isGraceRetry } from './refresh-token.service.js';

const GRACE_MS = 10_000;
const spentAt = (rotatedAt: number | null) => ({ rotatedAt });
const live = { rotatedAt: null };

describe('the grace rule for spent refresh tokens', () => {
  it('forgives the immediate parent of the live token within the grace period', () => {
    expect(isGraceRetry(spentAt(1_000), live, 1_000 + GRACE_MS, GRACE_MS)).toBe(true);
  });

  it('treats the immediate parent as theft once the grace period is over', () => {
    expect(isGraceRetry(spentAt(1_000), live, 1_001 + GRACE_MS, GRACE_MS)).toBe(false);
  });

  it('treats an older ancestor (its successor spent too) as theft even inside the grace period', () => {
    expect(isGraceRetry(spentAt(1_000), spentAt(1_500), 2_000, GRACE_MS)).toBe(false);
  });

  it('forgives nothing of a revoked device (revocation spent its live token)', () => {
    expect(isGraceRetry(spentAt(1_000), spentAt(1_200), 1_300, GRACE_MS)).toBe(false);
  });

  it('with a zero grace period forgives only a retry in the same millisecond', () => {
    expect(isGraceRetry(spentAt(1_000), live, 1_000, 0)).toBe(true);
    expect(isGraceRetry(spentAt(1_000), live, 1_001, 0)).toBe(false);
  });
});
