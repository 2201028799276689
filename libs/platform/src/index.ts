export {
  AppConfig,
  ConfigurationError,
  type ManagedKeyAlgorithm,
  type SigningKeySettings,
  type StaticAccessTokenKey,
  type TokenNames,
  KEY_PUBLICATION_MARGIN_S,
  MANAGED_KEY_ALGORITHMS,
  type AccountSettings,
  type MailSettings,
  type DatabaseTarget,
  type Environment,
  type LogFormat,
  type LogLevelName,
  type RateLimit,
  type RequestLogMode,
  type SecurityWebhookTarget,
  type WebAuthnSettings,
  REQUEST_LOG_MODES,
  SLOW_REQUEST_MS,
} from './config/app-config.js';
export { parseDurationSeconds } from './config/duration.js';
export { httpServerOptions } from './config/http-server-options.js';
export { readPackageInfo, type PackageInfo } from './config/package-info.js';
export { Clock } from './clock.js';
export {
  DomainError,
  RateLimited,
  ServiceBusy,
  ValidationFailed,
  type ErrorCategory,
  type FieldError,
  type OAuthErrorCode,
} from './errors/domain-error.js';
export { OAuthErrorFilter, ProblemDetailsFilter } from './errors/exception-filters.js';
export { isDatabaseOutage } from './errors/outage.js';
export { toOAuthError, toProblem, type WireError } from './errors/wire-error.js';
export { IS_PUBLIC_KEY, Public } from './public.decorator.js';
export { PlatformModule, type PlatformOptions } from './platform.module.js';
export { createValidationPipe, fieldErrorsOf } from './validation.js';
export { normalizeAccountEmail } from './text/account-email.js';
export { PeriodicTask } from './periodic-task.js';
export { uuidParam } from './uuid-param.js';
export { deriveSecret } from './config/derived-secret.js';
export { createAppLogger, flushLogsSync } from './logging/app-logger.js';
export { PinoNestLogger } from './logging/pino-nest-logger.js';
export { REDACTED_PATHS } from './logging/log-redaction.js';
export { REQUEST_ID_HEADER, REQUEST_ID_PATTERN, requestIdOf } from './logging/request-id.js';
export { logRequests, requestLoggingOptions, tagRequestDevice } from './logging/request-logging.js';
export { measureRequests } from './metrics/http-metrics.js';
export { MetricsModule } from './metrics/metrics.module.js';
export { HealthModule } from './health/health.module.js';
export { DatabaseHealth } from './health/database-health.js';
export { METRICS_SECURITY_SCHEME } from './metrics/metrics.controller.js';
export { MetricsRegistry } from './metrics/metrics-registry.js';
export { appLoggers, type AppLoggers, type LoggingOptions } from './logging/app-loggers.js';
export { serveApp } from './lifecycle/serve-app.js';
export { drainConnectionsOnClose } from './lifecycle/connection-draining.js';
export { ProblemDetailsSchema } from './openapi/problem-details.schema.js';
export { OAuthErrorSchema } from './openapi/oauth-error.schema.js';
export {
  ApiOAuthErrorResponse,
  ApiProblemResponse,
  ApiRequestBodies,
  ApiValidationResponse,
  REQUEST_BODY_SCHEMAS_EXTENSION,
} from './openapi/api-responses.decorator.js';
export { WIRE_HEADERS, wireHeaders, type WireHeaderName } from './openapi/wire-headers.js';
export {
  anonymous,
  clientAddressOf,
  SYSTEM_ACTOR,
  type AccountRole,
  type Actor,
  type ActorRequest,
  type AnonymousActor,
  type AnyActor,
  type RequestOrigin,
  type SystemActor,
} from './actor/actor.js';
export { CurrentActor } from './actor/current-actor.decorator.js';
export { Origin, originOf } from './actor/request-origin.decorator.js';
export { userAgentLabel } from './text/user-agent-label.js';
