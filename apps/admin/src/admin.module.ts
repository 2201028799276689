import { Module, type DynamicModule } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ACCESS_TOKEN_EXTRACTOR, AccessTokenStrategy, AuthModule } from '@app/auth';
import { AccountsModule } from '@app/accounts';
import { FEATURES } from '@app/features';
import { PersistenceModule } from '@app/persistence';
import { HealthModule, PlatformModule, type PlatformOptions } from '@app/platform';
import { AccountPageController } from './account/account-page.controller.js';
import { ActivityPageController } from './activity/activity-page.controller.js';
import { AssetsController } from './assets/assets.controller.js';
import { DevicesPageController } from './devices/devices-page.controller.js';
import { LinkPagesController } from './links/link-pages.controller.js';
import { OperatorOverviewController } from './operators/operator-overview.controller.js';
import { OperatorsController } from './operators/operators.controller.js';
import { PageInterceptor } from './rendering/page.interceptor.js';
import { CsrfGuard } from './session/csrf.guard.js';
import { CsrfTokens } from './session/csrf.js';
import { DashboardSessionGuard } from './session/dashboard-session.guard.js';
import { DashboardCookies } from './session/session-cookies.js';
import { RecoveryPagesController } from './recovery/recovery-pages.controller.js';
import { SignInController } from './sign-in/sign-in.controller.js';
import { PasskeysPageController } from './strong-auth/passkeys-page.controller.js';
import { TwoStepPageController } from './strong-auth/two-step-page.controller.js';

/** The dashboard: server-rendered pages over the same libs and database as the API. */
@Module({})
export class AdminModule {
  static forRoot(options: PlatformOptions = {}): DynamicModule {
    return {
      module: AdminModule,
      imports: [
        PlatformModule.forRoot(options),
        PersistenceModule.forRoot(FEATURES),
        HealthModule,
        AuthModule,
        AccountsModule,
        PassportModule,
      ],
      controllers: [
        SignInController,
        DevicesPageController,
        ActivityPageController,
        AccountPageController,
        PasskeysPageController,
        TwoStepPageController,
        RecoveryPagesController,
        LinkPagesController,
        OperatorOverviewController,
        OperatorsController,
        AssetsController,
      ],
      providers: [
        DashboardCookies,
        CsrfTokens,
        // The session's access token is the access cookie (verified by AccessTokenStrategy).
        {
          provide: ACCESS_TOKEN_EXTRACTOR,
          inject: [DashboardCookies],
          useFactory: (cookies: DashboardCookies) => (request: FastifyRequest) => cookies.accessToken(request) ?? null,
        },
        AccessTokenStrategy,
        // In this order: who the viewer is, then whether the form is theirs.
        { provide: APP_GUARD, useClass: DashboardSessionGuard },
        { provide: APP_GUARD, useClass: CsrfGuard },
        { provide: APP_INTERCEPTOR, useClass: PageInterceptor },
      ],
    };
  }
}
