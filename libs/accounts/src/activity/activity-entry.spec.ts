import type { SecurityEventEntity, SecurityEventType } from '@app/persistence';
import { collapseRuns } from './activity-entry.js';

const event = (type: SecurityEventType, createdAt: number, fields: Partial<SecurityEventEntity> = {}): SecurityEventEntity => ({
  id: `${type}-${createdAt}-${fields.deviceId ?? ''}`,
  occurrences: 1,
  userId: 'user',
  keyId: null,
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
  ...fields,
});

/** A refused-proof event: one device's run of refusals within a minute, `occurrences` of them. */
const refused = (createdAt: number, occurrences: number, deviceId = 'phone') =>
  event('dpop_proof_rejected', createdAt, { deviceId, occurrences });

const lines = (entries: ReturnType<typeof collapseRuns>) => entries.map((entry) => [entry.type, entry.createdAt, entry.repeated]);

describe('collapseRuns', () => {
  it('shows each run of failed sign-ins once, newest first, between the other events', () => {
    const others = [event('login', 100), event('registered', 10)];
    const failures = [120, 110, 105, 90, 80, 5].map((at) => event('login_failed', at));
    expect(lines(collapseRuns(others, failures))).toEqual([
      ['login_failed', 120, 3],
      ['login', 100, 1],
      ['login_failed', 90, 2],
      ['registered', 10, 1],
      ['login_failed', 5, 1],
    ]);
  });

  it('keeps a sign-in visible under thousands of failures', () => {
    const failures = Array.from({ length: 5000 }, (_, index) => event('login_failed', 10_000 - index));
    const entries = collapseRuns([event('login', 1)], failures);
    expect(entries).toHaveLength(2);
    expect(entries[1].type).toBe('login');
    expect(entries[0].repeated).toBe(5000);
  });

  it('returns the events as they are when there is nothing to collapse', () => {
    expect(collapseRuns([event('login', 2), event('registered', 1)], [], []).map((entry) => entry.repeated)).toEqual([1, 1]);
  });

  it("counts a single refused-proof event's occurrences", () => {
    expect(lines(collapseRuns([event('login', 1)], [], [refused(50, 7)]))).toEqual([
      ['dpop_proof_rejected', 50, 7],
      ['login', 1, 1],
    ]);
  });

  it('collapses refused-proof events of consecutive minutes into one entry, the sum of their occurrences, at the newest', () => {
    const others = [event('refresh_token_reused', 1_000_000), event('login', 10)];
    const refusals = [refused(3_000_000, 4), refused(2_940_000, 10), refused(2_880_000, 10), refused(900_000, 2), refused(800_000, 1)];
    expect(lines(collapseRuns(others, [], refusals))).toEqual([
      ['dpop_proof_rejected', 3_000_000, 24],
      ['refresh_token_reused', 1_000_000, 1],
      ['dpop_proof_rejected', 900_000, 3],
      ['login', 10, 1],
    ]);
  });

  it("keeps each device's refusals a run of its own, and failed sign-ins apart from both, however they interleave", () => {
    const failures = [event('login_failed', 95), event('login_failed', 85), event('login_failed', 75)];
    const refusals = [refused(100, 10, 'phone'), refused(90, 3, 'tablet'), refused(80, 10, 'phone'), refused(70, 5, 'tablet')];
    const entries = collapseRuns([event('refresh_token_reused', 50)], failures, refusals);
    expect(entries.map((entry) => [entry.type, entry.deviceId, entry.createdAt, entry.repeated])).toEqual([
      ['dpop_proof_rejected', 'phone', 100, 20],
      ['login_failed', null, 95, 3],
      ['dpop_proof_rejected', 'tablet', 90, 8],
      ['refresh_token_reused', null, 50, 1],
    ]);
  });

  it('keeps a reuse detection and the sign-ins around it under a flood of refusals on three devices, at most a line per device between them', () => {
    const refusals = Array.from({ length: 5000 }, (_, index) => refused(-index * 120_000, 10, `device-${index % 3}`));
    const others = [event('login', -400_000_000), event('refresh_token_reused', -500_000_000), event('login', -600_000_000)];
    const entries = collapseRuns(others, [], refusals);
    expect(entries.map((entry) => entry.type)).toEqual([
      ...Array<string>(3).fill('dpop_proof_rejected'),
      'login',
      ...Array<string>(3).fill('dpop_proof_rejected'),
      'refresh_token_reused',
      ...Array<string>(3).fill('dpop_proof_rejected'),
      'login',
    ]);
    expect(entries.reduce((sum, entry) => sum + (entry.type === 'dpop_proof_rejected' ? entry.repeated : 0), 0)).toBe(50_000);
    expect(new Set(entries.slice(0, 3).map((entry) => entry.deviceId))).toEqual(new Set(['device-0', 'device-1', 'device-2']));
  });

  it('orders events of the same time as the database does, a collapsed run before an event of its time', () => {
    const entries = collapseRuns([event('login', 10)], [event('login_failed', 10)], [refused(10, 2)]);
    expect(entries.map((entry) => entry.type)).toEqual(['dpop_proof_rejected', 'login_failed', 'login']);
  });
});
