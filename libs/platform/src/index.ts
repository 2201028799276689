export {
  AppConfig,
  ConfigurationError,
  type AccessTokenKey,
  type DatabaseTarget,
  type Environment,
  type RateLimit,
  type SecurityWebhookTarget,
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
