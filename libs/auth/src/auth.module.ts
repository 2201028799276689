import { Module } from '@nestjs/common';
import { KeysModule } from '@app/keys';
import { MailModule } from '@app/mail';
import { SecurityEventsModule } from '@app/security-events';
import { AuthService } from './login/auth.service.js';
import { DpopService } from './dpop/dpop.service.js';
import { RefusedProofCounter } from './dpop/refused-proof-counter.js';
import { AccessTokenVerifier } from './tokens/access-token.verifier.js';
import { ActionLimiter } from './login/action-limiter.js';
import { StepUpGuard } from './step-up/requires-step-up.decorator.js';
import { StepUpPolicy } from './step-up/step-up.policy.js';
import { MfaChallenges } from './mfa/mfa-challenges.js';
import { SecondFactor } from './mfa/second-factor.js';
import { TotpSecretBox } from './mfa/totp-secret-box.js';
import { LoginAttemptLimiter } from './login/login-attempt-limiter.js';
import { AuthMetrics } from './metrics/auth-metrics.js';
import { DpopMetrics } from './dpop/dpop-metrics.js';
import { RevocationMetrics } from './revocation/revocation-metrics.js';
import { PasswordHasher } from './passwords/password-hasher.js';
import { LastSeenRecorder } from './revocation/last-seen.recorder.js';
import { RevocationSet } from './revocation/revocation-set.js';
import { RevocationSyncService } from './revocation/revocation-sync.service.js';
import { RevocationService } from './revocation/revocation.service.js';
import { AccessTokenService } from './tokens/access-token.service.js';
import { RefreshTokenPruner } from './tokens/refresh-token-pruner.js';
import { RefreshTokenService } from './tokens/refresh-token.service.js';
import { PasskeyService } from './passkeys/passkey.service.js';

/**
 * Everything that decides whether a token is good: sign-in, access and refresh tokens and the
 * revocation set (kept in sync in every app that imports this). No routes: the API mounts
 * them with AuthApiModule, the dashboard uses the services behind its own pages.
 * Needs PlatformModule and PersistenceModule in the app.
 */
@Module({
  imports: [KeysModule, SecurityEventsModule, MailModule],
  providers: [
    AuthService,
    AccessTokenService,
    AccessTokenVerifier,
    RefreshTokenService,
    RefreshTokenPruner,
    PasswordHasher,
    LoginAttemptLimiter,
    ActionLimiter,
    StepUpPolicy,
    StepUpGuard,
    TotpSecretBox,
    SecondFactor,
    MfaChallenges,
    RevocationSet,
    RevocationSyncService,
    RevocationService,
    LastSeenRecorder,
    DpopService,
    RefusedProofCounter,
    AuthMetrics,
    DpopMetrics,
    RevocationMetrics,
    PasskeyService,
  ],
  exports: [
    KeysModule,
    AuthService,
    AccessTokenService,
    AccessTokenVerifier,
    RefreshTokenService,
    PasswordHasher,
    LoginAttemptLimiter,
    ActionLimiter,
    StepUpPolicy,
    StepUpGuard,
    SecondFactor,
    RevocationSet,
    RevocationService,
    LastSeenRecorder,
    SecurityEventsModule,
    DpopService,
    AuthMetrics,
    PasskeyService,
  ],
})
export class AuthModule {}
