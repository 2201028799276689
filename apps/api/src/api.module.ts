import { Module, type DynamicModule } from '@nestjs/common';
import { AuthApiModule } from '@app/auth';
import { AccountsApiModule } from '@app/accounts';
import { FEATURES } from '@app/features';
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
        PersistenceModule.forRoot(FEATURES),
        HealthModule,
        MetricsModule,
        AuthApiModule,
        AccountsApiModule,
        RevocationFeedModule,
        SsfModule,
        // Modules added to the product (libs/features): their routes are served and in
        // /openapi.json, but not in docs/openapi.json, which is the product's contract.
        ...FEATURES.map((feature) => feature.module),
      ],
      controllers: [RootController],
    };
  }
}
