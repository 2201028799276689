import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { DevicesModule } from '@app/devices';
import { PersistenceModule } from '@app/persistence';
import { PlatformModule, type PlatformOptions } from '@app/platform';
import { RootController } from './root.controller.js';

@Module({})
export class ApiModule {
  static forRoot(options: PlatformOptions = {}): DynamicModule {
    return {
      module: ApiModule,
      imports: [PlatformModule.forRoot(options), PersistenceModule, AuthModule, DevicesModule],
      controllers: [RootController],
    };
  }
}
