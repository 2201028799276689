import { DataSource, type DataSourceOptions } from 'typeorm';
import type { AppConfig } from '@app/platform';
import type { Feature } from './feature.js';
import { DeviceEntity } from './entities/device.entity.js';
import { LoginAttemptEntity } from './entities/login-attempt.entity.js';
import { RefreshTokenEntity } from './entities/refresh-token.entity.js';
import { SecurityEventEntity } from './entities/security-event.entity.js';
import { UserEntity } from './entities/user.entity.js';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity.js';
import { InitialSchema1764100000000 } from './migrations/1764100000000-initial-schema.js';
import { LoginAttempts1764200000000 } from './migrations/1764200000000-login-attempts.js';
import { RefreshTokenExpiryIndex1764300000000 } from './migrations/1764300000000-refresh-token-expiry-index.js';
import { OperatorRole1764400000000 } from './migrations/1764400000000-operator-role.js';
import { NormalizeAccountEmails1764500000000 } from './migrations/1764500000000-normalize-account-emails.js';
import { DeviceKeyBinding1764600000000 } from './migrations/1764600000000-device-key-binding.js';
import { RevocationLog1764700000000 } from './migrations/1764700000000-revocation-log.js';
import { RevocationNotify1764750000000 } from './migrations/1764750000000-revocation-notify.js';
import { SecurityWebhookOutbox1764800000000 } from './migrations/1764800000000-security-webhook-outbox.js';
import { KeyBindingHardening1764900000000 } from './migrations/1764900000000-key-binding-hardening.js';
import { Accounts1765000000000 } from './migrations/1765000000000-accounts.js';
import { AccountTokenEntity } from './entities/account-token.entity.js';
import { MailOutboxEntity } from './entities/mail-outbox.entity.js';
import { PasskeyEntity } from './entities/passkey.entity.js';
import { PasskeyChallengeEntity } from './entities/passkey-challenge.entity.js';
import { Passkeys1765200000000 } from './migrations/1765200000000-passkeys.js';
import { TotpFactorEntity } from './entities/totp-factor.entity.js';
import { RecoveryCodeEntity } from './entities/recovery-code.entity.js';
import { MfaChallengeEntity } from './entities/mfa-challenge.entity.js';
import { SecondFactor1765100000000 } from './migrations/1765100000000-second-factor.js';
import { SigningKeyEntity } from './entities/signing-key.entity.js';
import { SigningKeys1765300000000 } from './migrations/1765300000000-signing-keys.js';
import { SsfReceiverEntity } from './entities/ssf-receiver.entity.js';
import { SsfStreamEntity } from './entities/ssf-stream.entity.js';
import { SsfEventEntity } from './entities/ssf-event.entity.js';
import { SharedSignals1765500000000 } from './migrations/1765500000000-shared-signals.js';

export const ENTITIES = [
  UserEntity,
  DeviceEntity,
  RefreshTokenEntity,
  SecurityEventEntity,
  LoginAttemptEntity,
  WebhookDeliveryEntity,
  AccountTokenEntity,
  MailOutboxEntity,
  PasskeyEntity,
  PasskeyChallengeEntity,
  TotpFactorEntity,
  RecoveryCodeEntity,
  MfaChallengeEntity,
  SigningKeyEntity,
  SsfReceiverEntity,
  SsfStreamEntity,
  SsfEventEntity,
];
export const MIGRATIONS = [
  InitialSchema1764100000000,
  LoginAttempts1764200000000,
  RefreshTokenExpiryIndex1764300000000,
  OperatorRole1764400000000,
  NormalizeAccountEmails1764500000000,
  DeviceKeyBinding1764600000000,
  RevocationLog1764700000000,
  RevocationNotify1764750000000,
  SecurityWebhookOutbox1764800000000,
  KeyBindingHardening1764900000000,
  Accounts1765000000000,
  SecondFactor1765100000000,
  Passkeys1765200000000,
  SigningKeys1765300000000,
  SharedSignals1765500000000,
];

/**
 * One DataSource for the configured database: embedded SQLite by default, or PostgreSQL. The
 * product's tables, and those of the `features` given (TypeORM orders all migrations by the
 * timestamp in their names).
 */
export function createDataSource(config: AppConfig, features: readonly Feature[] = []): DataSource {
  const common = {
    entities: [...ENTITIES, ...features.flatMap((feature) => feature.entities)],
    migrations: [...MIGRATIONS, ...features.flatMap((feature) => feature.migrations)],
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    logging: false,
  };
  const options: DataSourceOptions =
    config.database.kind === 'sqlite'
      ? {
          ...common,
          type: 'better-sqlite3',
          database: config.database.path,
          // WAL lets readers (other processes too) run while one writer commits; the busy
          // timeout makes a writer wait for the lock instead of failing with SQLITE_BUSY.
          enableWAL: true,
          timeout: 5000,
          prepareDatabase: (db: { pragma(source: string): unknown }) => {
            db.pragma('synchronous = NORMAL');
          },
        }
      : {
          ...common,
          type: 'postgres',
          url: config.database.url,
          extra: { max: config.databasePoolSize, connectionTimeoutMillis: 5000 },
        };
  return new DataSource(options);
}

/** Connects and, unless MIGRATIONS_RUN=false, brings the schema up to date. */
export async function openDataSource(config: AppConfig, features: readonly Feature[] = []): Promise<DataSource> {
  const dataSource = createDataSource(config, features);
  await dataSource.initialize();
  if (config.migrationsRun) await runMigrations(dataSource);
  return dataSource;
}

/** Any fixed number: the advisory lock that serializes migrations across processes. */
const MIGRATION_LOCK_KEY = 7_310_422_001;

/**
 * Applies pending migrations. On PostgreSQL, N processes starting at once take turns under an
 * advisory lock, so only the first migrates and the others find the schema up to date.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  if (dataSource.options.type !== 'postgres') {
    return (await dataSource.runMigrations({ transaction: 'each' })).map((migration) => migration.name);
  }
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return (await dataSource.runMigrations({ transaction: 'each' })).map((migration) => migration.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}
