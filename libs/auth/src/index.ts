export * from './auth.errors.js';
export { AuthApiModule } from './auth-api.module.js';
export { AuthModule } from './auth.module.js';
export { AuthService, type DeviceDescription } from './login/auth.service.js';
export { CurrentPrincipal, CurrentUser } from './decorators/current-principal.decorator.js';
export { AccessTokenVerifier } from './tokens/access-token.verifier.js';
export { ACCESS_TOKEN_EXTRACTOR, AccessTokenStrategy } from './strategies/access-token.strategy.js';
export { ACCOUNT_EMAIL_PROPERTY, IsAccountEmail } from './dto/account-email.decorator.js';
export { IsDeviceName, Trim } from './dto/device-name.decorator.js';
export { ChangePasswordDto } from './dto/change-password.dto.js';
export { FORM_CONTENT_TYPE } from './dto/token-requests.js';
export { LoginAttemptLimiter, hashLimiterKey } from './login/login-attempt-limiter.js';
export {
  ActionLimiter,
  EMAIL_CHANGE_LIMIT,
  FORGOT_PASSWORD_IP_LIMIT,
  LINK_TOKEN_IP_LIMIT,
  PASSWORD_RESET_MAIL_LIMIT,
  SECOND_FACTOR_ACTION,
  SECOND_FACTOR_LIMIT,
  VERIFICATION_MAIL_LIMIT,
} from './login/action-limiter.js';
export { PasswordHasher } from './passwords/password-hasher.js';
export { LastSeenRecorder } from './revocation/last-seen.recorder.js';
export { RevocationSet } from './revocation/revocation-set.js';
export { RevocationService } from './revocation/revocation.service.js';
export type { AccessPrincipal } from './tokens/access-principal.js';
export { ACCESS_TOKEN_TYPE, AccessTokenService } from './tokens/access-token.service.js';
export { RefreshTokenPruner } from './tokens/refresh-token-pruner.js';
export { RefreshTokenService } from './tokens/refresh-token.service.js';
export type { TokenResponse } from './tokens/token-response.js';
export { DpopProofInvalid } from './dpop/dpop.errors.js';
export { DpopProofVerifier, type DpopExpectation } from './dpop/dpop-proof.verifier.js';
export type { DpopRequest } from './dpop/dpop-request.js';
export { DpopService } from './dpop/dpop.service.js';
export { AuthMetrics } from './metrics/auth-metrics.js';
export { DeviceLogInterceptor } from './logging/device-log.interceptor.js';
export { ACCESS_TOKEN_SECURITY_SCHEMES, ApiAccessToken, ApiDpopProofHeader } from './openapi/api-access-token.decorator.js';
export { DEVICE_NAME_PROPERTY } from './dto/device-name.decorator.js';
export { StepUpPolicy } from './step-up/step-up.policy.js';
export { RequiresStepUp, StepUpGuard } from './step-up/requires-step-up.decorator.js';
export { PasskeyService, type PasskeyView } from './passkeys/passkey.service.js';
export { SecondFactor, type NewTotpSecret, type SecondFactorMethod } from './mfa/second-factor.js';
