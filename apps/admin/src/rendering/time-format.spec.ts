import { formatExact, formatRelative } from './time-format.js';

describe('time formatting', () => {
  const now = Date.UTC(2026, 10, 25, 12, 0, 0);

  it.each([
    [now - 5_000, 'just now'],
    [now - 60_000, '1 minute ago'],
    [now - 5 * 60_000, '5 minutes ago'],
    [now - 3 * 3_600_000, '3 hours ago'],
    [now - 86_400_000, 'yesterday'],
    [now - 9 * 86_400_000, '9 days ago'],
    [now + 5_000, 'just now'],
  ])('describes %p as %p', (at, text) => {
    expect(formatRelative(at, now)).toBe(text);
  });

  it('formats exact times in UTC to the minute', () => {
    expect(formatExact(now)).toBe('2026-11-25 12:00 UTC');
  });
});
