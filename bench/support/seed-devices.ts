import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';

// better-sqlite3 ships no types; this is the part of its API the seeding uses.
interface Statement {
  run(...parameters: unknown[]): unknown;
}
interface Database {
  prepare(sql: string): Statement;
  transaction<T extends unknown[]>(work: (...args: T) => void): (...args: T) => void;
  close(): void;
}
const BetterSqlite = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => Database;

export interface SeedPlan {
  readonly users: number;
  readonly devicesPerUser: number;
  /** Every n-th device is revoked, within the access-token lifetime before `now`. */
  readonly revokeEvery: number;
  readonly revokedWithinMs: number;
  readonly now: number;
}

export interface Seeded {
  readonly users: number;
  readonly devices: number;
  readonly revoked: number;
  readonly refreshTokens: number;
  readonly seconds: number;
  /** One live and one revoked device, to check the process loaded the revocations. */
  readonly sampleLive: { userId: string; deviceId: string };
  readonly sampleRevoked: { userId: string; deviceId: string };
}

/** Not a real password hash: nobody signs in as a seeded user. */
const PLACEHOLDER_HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2VlZGVkLXVzZXI$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/**
 * Writes users, their devices (some recently revoked) and one refresh token per device
 * straight into a migrated SQLite file, in one transaction, while no server is running.
 */
export function seedDevices(path: string, plan: SeedPlan): Seeded {
  const started = Date.now();
  const db = new BetterSqlite(path);
  let sampleLive: Seeded['sampleLive'] | undefined;
  let sampleRevoked: Seeded['sampleRevoked'] | undefined;
  let devices = 0;
  let revoked = 0;
  try {
    const insertUser = db.prepare('INSERT INTO users (id, email, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?)');
    const insertDevice = db.prepare(
      `INSERT INTO devices (id, user_id, name, platform, user_agent, ip, created_at, last_seen_at, session_expires_at,
         revoked_at, revoked_reason, revoked_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertToken = db.prepare(
      `INSERT INTO refresh_tokens (id, device_id, token_hash, created_at, expires_at, rotated_at, replaced_by_id, sealed_successor)
       VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)`,
    );
    const { now } = plan;
    const createdAt = now - 86_400_000;
    db.transaction(() => {
      for (let u = 0; u < plan.users; u++) {
        const userId = randomUUID();
        insertUser.run(userId, `seeded-${u}@example.com`, PLACEHOLDER_HASH, createdAt, createdAt);
        for (let d = 0; d < plan.devicesPerUser; d++) {
          const deviceId = randomUUID();
          const isRevoked = devices % plan.revokeEvery === 0;
          // Spread over the window, all inside the access-token lifetime, so the process loads them.
          const revokedAt = isRevoked ? now - Math.floor(Math.random() * plan.revokedWithinMs) : null;
          insertDevice.run(
            deviceId,
            userId,
            `Phone ${d + 1}`,
            'android',
            'SeededApp/1.0',
            '127.0.0.1',
            createdAt,
            createdAt,
            createdAt + 90 * 86_400_000,
            revokedAt,
            isRevoked ? 'logout' : null,
            isRevoked ? userId : null,
          );
          const tokenHash = createHash('sha256').update(deviceId).digest('hex');
          insertToken.run(randomUUID(), deviceId, tokenHash, createdAt, createdAt + 30 * 86_400_000, revokedAt);
          if (isRevoked) {
            revoked++;
            sampleRevoked ??= { userId, deviceId };
          } else {
            sampleLive ??= { userId, deviceId };
          }
          devices++;
        }
      }
    })();
  } finally {
    db.close();
  }
  if (!sampleLive || !sampleRevoked) throw new Error('seed plan produced no live or no revoked device');
  return {
    users: plan.users,
    devices,
    revoked,
    refreshTokens: devices,
    seconds: (Date.now() - started) / 1000,
    sampleLive,
    sampleRevoked,
  };
}
