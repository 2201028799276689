import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig, DatabaseHealth } from '@app/platform';
import { DataSourceHealth } from './data-source-health.js';
import { openDataSource } from './data-source.js';
import type { Feature } from './feature.js';
import { RevocationChannel } from './notifications/revocation-channel.js';
import { DeviceRepository } from './repositories/device.repository.js';
import { LoginAttemptRepository } from './repositories/login-attempt.repository.js';
import { RefreshTokenRepository } from './repositories/refresh-token.repository.js';
import { RevocationLogRepository } from './repositories/revocation-log.repository.js';
import { SecurityEventRepository } from './repositories/security-event.repository.js';
import { UserRepository } from './repositories/user.repository.js';
import { WebhookDeliveryRepository } from './repositories/webhook-delivery.repository.js';
import { MailOutboxRepository } from './repositories/mail-outbox.repository.js';
import { AccountTokenRepository } from './repositories/account-token.repository.js';
import { PasskeyRepository } from './repositories/passkey.repository.js';
import { PasskeyChallengeRepository } from './repositories/passkey-challenge.repository.js';
import { MfaChallengeRepository } from './repositories/mfa-challenge.repository.js';
import { SecondFactorRepository } from './repositories/second-factor.repository.js';
import { SigningKeyRepository } from './repositories/signing-key.repository.js';
import { SsfEventRepository } from './repositories/ssf-event.repository.js';
import { SsfReceiverRepository } from './repositories/ssf-receiver.repository.js';
import { SsfStreamRepository } from './repositories/ssf-stream.repository.js';
import { Transactions } from './transactions.js';

const REPOSITORIES = [
  UserRepository,
  DeviceRepository,
  RefreshTokenRepository,
  SecurityEventRepository,
  LoginAttemptRepository,
  WebhookDeliveryRepository,
  RevocationLogRepository,
  MailOutboxRepository,
  AccountTokenRepository,
  PasskeyRepository,
  PasskeyChallengeRepository,
  SecondFactorRepository,
  MfaChallengeRepository,
  SigningKeyRepository,
  SsfReceiverRepository,
  SsfStreamRepository,
  SsfEventRepository,
  Transactions,
];

/** The one DataSource of an app (migrated on start) and the repositories over it. */
@Global()
@Module({})
export class PersistenceModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** The product's tables and those of the registered `features` (libs/features). */
  static forRoot(features: readonly Feature[] = []): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        { provide: DataSource, inject: [AppConfig], useFactory: (config: AppConfig) => openDataSource(config, features) },
        ...REPOSITORIES,
        RevocationChannel,
        { provide: DatabaseHealth, useClass: DataSourceHealth },
      ],
      exports: [DataSource, ...REPOSITORIES, RevocationChannel, DatabaseHealth],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
