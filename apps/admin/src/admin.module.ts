import { Module, type DynamicModule } from '@nestjs/common';
import { PersistenceModule } from '@app/persistence';
import { PlatformModule, type PlatformOptions } from '@app/platform';

/** The dashboard app. For now it answers `GET /health`; the dashboard pages come next. */
@Module({})
export class AdminModule {
  static forRoot(options: PlatformOptions = {}): DynamicModule {
    return { module: AdminModule, imports: [PlatformModule.forRoot(options), PersistenceModule] };
  }
}
