export { createDataSource, ENTITIES, MIGRATIONS, openDataSource, runMigrations } from './data-source.js';
export type { Feature } from './feature.js';
export {
  DeviceEntity,
  type AuthenticationMethod,
  type DevicePlatform,
  type RevocationReason,
  type SessionClient,
} from './entities/device.entity.js';
export { RefreshTokenEntity } from './entities/refresh-token.entity.js';
export { SecurityEventEntity, type SecurityEventActor, type SecurityEventType } from './entities/security-event.entity.js';
export { UserEntity, type AccountRole } from './entities/user.entity.js';
export { LoginAttemptEntity } from './entities/login-attempt.entity.js';
export { WebhookDeliveryEntity } from './entities/webhook-delivery.entity.js';
export { AccountTokenEntity, type AccountTokenPurpose } from './entities/account-token.entity.js';
export { MailOutboxEntity } from './entities/mail-outbox.entity.js';
export { RevocationChannel, REVOCATION_LISTENER_APPLICATION_NAME, type RevocationListener } from './notifications/revocation-channel.js';
export { PersistenceModule } from './persistence.module.js';
export {
  DeviceRepository,
  type Revocation,
  type RevocationsSince,
  type RevocationTarget,
  type RevokedDevice,
} from './repositories/device.repository.js';
export { LoginAttemptRepository, type AttemptWindow } from './repositories/login-attempt.repository.js';
export { RefreshTokenRepository, type Rotation, type TokenOfDevice } from './repositories/refresh-token.repository.js';
export {
  RevocationLogRepository,
  type LoggedRevocation,
  type RevocationLogPage,
  type RevocationLogPosition,
} from './repositories/revocation-log.repository.js';
export { SecurityEventRepository, type NewSecurityEvent } from './repositories/security-event.repository.js';
export { UserRepository, type NewUser } from './repositories/user.repository.js';
export {
  WebhookDeliveryRepository,
  type ClaimedDelivery,
  type RetryOutcome,
  type WebhookOutboxStatus,
} from './repositories/webhook-delivery.repository.js';
export { Transactions } from './transactions.js';
export { NothingChanged, type BoundStatement } from './sql/sql-statement.js';
export { isUniqueViolation } from './sql/sql-runner.js';
export {
  MailOutboxRepository,
  type ClaimedMail,
  type MailOutboxStatus,
  type MailRetryOutcome,
  type QueuedMail,
} from './repositories/mail-outbox.repository.js';
export { AccountTokenRepository, type NewAccountToken, type UsableAccountToken } from './repositories/account-token.repository.js';
export { PasskeyEntity } from './entities/passkey.entity.js';
export { PasskeyChallengeEntity, type PasskeyChallengePurpose } from './entities/passkey-challenge.entity.js';
export { PasskeyRepository } from './repositories/passkey.repository.js';
export { PasskeyChallengeRepository } from './repositories/passkey-challenge.repository.js';
export { TotpFactorEntity } from './entities/totp-factor.entity.js';
export { RecoveryCodeEntity } from './entities/recovery-code.entity.js';
export { MfaChallengeEntity } from './entities/mfa-challenge.entity.js';
export { SecondFactorRepository } from './repositories/second-factor.repository.js';
export { MfaChallengeRepository, type AttemptedMfaChallenge, type NewMfaChallenge } from './repositories/mfa-challenge.repository.js';
export { SigningKeyEntity } from './entities/signing-key.entity.js';
export { SigningKeyRepository } from './repositories/signing-key.repository.js';
export { SsfReceiverEntity } from './entities/ssf-receiver.entity.js';
export { SsfStreamEntity, type SsfDeliveryMethod, type SsfStreamStatus } from './entities/ssf-stream.entity.js';
export { SsfEventEntity, type SsfEventKind } from './entities/ssf-event.entity.js';
export { SsfReceiverRepository } from './repositories/ssf-receiver.repository.js';
export { SsfStreamRepository, type SsfStreamSettings } from './repositories/ssf-stream.repository.js';
export { SsfEventRepository, type QueuedSet } from './repositories/ssf-event.repository.js';
