import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { AppConfig, type Environment } from './config/app-config.js';
import { Clock } from './clock.js';
import { MetricsRegistry } from './metrics/metrics-registry.js';

const APP_CONFIG_KEY = 'app';

export interface PlatformOptions {
  /** Read configuration from this object instead of the process environment and `.env` (tests). */
  readonly env?: Environment;
  /** Use this clock instead of the system clock (tests that move time). */
  readonly clock?: Clock;
}

/** Configuration, the clock and the metrics registry, available to every module of an app. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions = {}): DynamicModule {
    const explicit = options.env;
    return {
      module: PlatformModule,
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: explicit !== undefined,
          ignoreEnvVars: explicit !== undefined,
          // Validation runs once at start; a bad variable stops the process with its name.
          validate: (variables) => ({ [APP_CONFIG_KEY]: AppConfig.fromEnv(explicit ?? variables) }),
        }),
      ],
      providers: [
        options.clock ? { provide: Clock, useValue: options.clock } : Clock,
        {
          provide: AppConfig,
          inject: [ConfigService],
          useFactory: (config: ConfigService) => config.getOrThrow<AppConfig>(APP_CONFIG_KEY),
        },
        MetricsRegistry,
      ],
      exports: [AppConfig, Clock, MetricsRegistry],
    };
  }
}
