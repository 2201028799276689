import { Module, type DynamicModule } from '@nestjs/common';
import { AuthApiModule } from '@app/auth';
import { AccountsApiModule } from '@app/accounts';
import { PersistenceModule } from '@app/persistence';
import { RevocationFeedModule } from '@app/revocation-feed';
import { SsfModule } from '@app/ssf';
import { HealthModule, MetricsModule, PlatformModule, type PlatformOptions } from '@app/platform';
import { RootController } from './root.controller.js';

@Module({})
export class ApiModule {
  static forRoot(options: PlatformOptions = {}): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        PlatformModule.forRoot(options),
        PersistenceModule,
        HealthModule,
        MetricsModule,
        AuthApiModule,
        AccountsApiModule,
        RevocationFeedModule,
        SsfModule,
      ],
      controllers: [RootController],
    };
  }
}
