import type { SecurityEventEntity, SecurityEventType } from '@app/persistence';
import { collapseFailures } from './activity-entry.js';

const event = (type: SecurityEventType, createdAt: number): SecurityEventEntity => ({
  id: `${type}-${createdAt}`,
  occurrences: 1,
  userId: 'user',
  type,
  deviceId: null,
  deviceName: null,
  actor: 'user',
  actorUserId: 'user',
  actorDeviceId: null,
  reason: null,
  ip: null,
  userAgent: null,
  createdAt,
});

describe('collapseFailures', () => {
  it('shows each run of failed sign-ins once, newest first, between the other events', () => {
    const others = [event('login', 100), event('registered', 10)];
    const failures = [120, 110, 105, 90, 80, 5].map((at) => event('login_failed', at));
    const entries = collapseFailures(others, failures);
    expect(entries.map((entry) => [entry.type, entry.createdAt, entry.repeated])).toEqual([
      ['login_failed', 120, 3],
      ['login', 100, 1],
      ['login_failed', 90, 2],
      ['registered', 10, 1],
      ['login_failed', 5, 1],
    ]);
  });

  it('keeps a sign-in visible under thousands of failures', () => {
    const failures = Array.from({ length: 5000 }, (_, index) => event('login_failed', 10_000 - index));
    const entries = collapseFailures([event('login', 1)], failures);
    expect(entries).toHaveLength(2);
    expect(entries[1].type).toBe('login');
    expect(entries[0].repeated).toBe(5000);
  });

  it('returns the events as they are when there are no failures', () => {
    expect(collapseFailures([event('login', 2), event('registered', 1)], []).map((entry) => entry.repeated)).toEqual([1, 1]);
  });
});
