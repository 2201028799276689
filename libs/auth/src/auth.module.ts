import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { AuthService } from './auth.service.js';
import { AuthController } from './controllers/auth.controller.js';
import { JwksController } from './controllers/jwks.controller.js';
import { MeController } from './controllers/me.controller.js';
import { TokenController } from './controllers/token.controller.js';
import { JwtAuthGuard } from './guards/jwt-auth.guard.js';
import { JwtStrategy } from './guards/jwt.strategy.js';
import { LoginAttemptLimiter } from './login/login-attempt-limiter.js';
import { PasswordHasher } from './passwords/password-hasher.js';
import { LastSeenRecorder } from './revocation/last-seen.recorder.js';
import { RevocationSet } from './revocation/revocation-set.js';
import { RevocationSyncService } from './revocation/revocation-sync.service.js';
import { RevocationService } from './revocation/revocation.service.js';
import { AccessTokenService } from './tokens/access-token.service.js';
import { RefreshTokenService } from './tokens/refresh-token.service.js';

/**
 * Everything that decides whether a token is good: sign-in, access and refresh tokens, the
 * global guard (deny by default, @Public() to opt out) and the revocation set.
 * Needs PlatformModule and PersistenceModule in the app.
 */
@Module({
  imports: [PassportModule, JwtModule.register({})],
  controllers: [AuthController, TokenController, MeController, JwksController],
  providers: [
    AuthService,
    AccessTokenService,
    RefreshTokenService,
    PasswordHasher,
    LoginAttemptLimiter,
    RevocationSet,
    RevocationSyncService,
    RevocationService,
    LastSeenRecorder,
    JwtStrategy,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
  ],
  exports: [AuthService, RevocationService, PasswordHasher, LoginAttemptLimiter, AccessTokenService, RefreshTokenService, RevocationSet],
})
export class AuthModule {}
