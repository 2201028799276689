import { DeviceEntity, RefreshTokenEntity, SecurityEventEntity, UserEntity } from '@app/persistence';
import type { TestApi } from '../../support/test-api.js';

export interface DatabaseState {
  readonly users: number;
  readonly devices: number;
  readonly refreshTokens: number;
  readonly securityEvents: number;
  /** Every row, minus `lastSeenAt` (written in the background by the last-seen recorder). */
  readonly rows: string;
}

/** A snapshot of everything a request could change, to assert that one did not. */
export async function databaseState(api: TestApi): Promise<DatabaseState> {
  const [users, devices, refreshTokens, securityEvents] = await Promise.all([
    api.dataSource.getRepository(UserEntity).find({ order: { id: 'ASC' } }),
    api.dataSource.getRepository(DeviceEntity).find({ order: { id: 'ASC' } }),
    api.dataSource.getRepository(RefreshTokenEntity).find({ order: { id: 'ASC' } }),
    api.dataSource.getRepository(SecurityEventEntity).find({ order: { id: 'ASC' } }),
  ]);
  const stableDevices = devices.map(({ lastSeenAt: _, ...device }) => device);
  return {
    users: users.length,
    devices: devices.length,
    refreshTokens: refreshTokens.length,
    securityEvents: securityEvents.length,
    rows: JSON.stringify({ users, devices: stableDevices, refreshTokens, securityEvents }),
  };
}

/** Runs `act` and asserts that no row of any table was added, removed or changed. */
export async function expectDatabaseUnchanged<T>(api: TestApi, act: () => Promise<T>): Promise<T> {
  const before = await databaseState(api);
  const result = await act();
  expect(await databaseState(api)).toEqual(before);
  return result;
}
