import { HttpException, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { DomainError, RateLimited, ServiceBusy, ValidationFailed, type ErrorCategory } from './domain-error.js';
import { isDatabaseOutage } from './outage.js';

/** An error as it leaves the process: status, headers and a JSON body. */
export interface WireError {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, unknown>>;
}

const STATUS_BY_CATEGORY: Record<ErrorCategory, number> = {
  invalid_input: 400,
  invalid_token: 401,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_many_requests: 429,
  unavailable: 503,
};

const PROBLEM_TYPE_PREFIX = 'urn:problem-type:device-auth:';
const logger = new Logger('Errors');

/** Maps any thrown value to application/problem+json (RFC 9457). */
export function toProblem(exception: unknown): WireError {
  if (exception instanceof DomainError) {
    const status = STATUS_BY_CATEGORY[exception.category];
    const body: Record<string, unknown> = {
      type: PROBLEM_TYPE_PREFIX + exception.code,
      title: STATUS_CODES[status],
      status,
      detail: exception.detail,
    };
    if (exception instanceof ValidationFailed) body.errors = exception.errors;
    // RFC 9449 §5 and §8 errors keep their OAuth name in problem+json too, so OAuth client
    // libraries recognise them at the sign-in endpoint.
    if (exception.oauthError === 'invalid_dpop_proof' || exception.oauthError === 'use_dpop_nonce') body.error = exception.oauthError;
    if (exception.problemError !== null) body.error = exception.problemError;
    for (const [name, value] of Object.entries(exception.problemMembers)) if (!(name in body)) body[name] = value;
    return problem(status, body, domainHeaders(exception));
  }
  const { status, detail } = describeNonDomain(exception);
  return problem(status, { type: 'about:blank', title: STATUS_CODES[status], status, detail }, {});
}

/** Maps any thrown value to an RFC 6749 §5.2 error, for the token endpoints. */
export function toOAuthError(exception: unknown): WireError {
  if (exception instanceof DomainError && exception.category !== 'unavailable' && exception.category !== 'too_many_requests') {
    // API.md: an invalid_grant also says why the session ended (`reason`), when the error knows.
    const reason = (exception as { reason?: unknown }).reason;
    const body = { error: exception.oauthError, error_description: exception.detail, ...(typeof reason === 'string' ? { reason } : {}) };
    return { status: 400, contentType: 'application/json', headers: { ...NO_STORE, ...exception.headers }, body };
  }
  if (exception instanceof DomainError) {
    const status = STATUS_BY_CATEGORY[exception.category];
    const error = status === 429 ? 'slow_down' : 'temporarily_unavailable';
    return {
      status,
      contentType: 'application/json',
      headers: { ...NO_STORE, ...domainHeaders(exception) },
      body: { error, error_description: exception.detail },
    };
  }
  const { status, detail } = describeNonDomain(exception);
  const error = status >= 500 ? (status === 503 ? 'temporarily_unavailable' : 'server_error') : 'invalid_request';
  return { status, contentType: 'application/json', headers: NO_STORE, body: { error, error_description: detail } };
}

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

function problem(status: number, body: Record<string, unknown>, headers: Record<string, string>): WireError {
  return { status, contentType: 'application/problem+json', headers, body };
}

function domainHeaders(exception: DomainError): Record<string, string> {
  return { ...categoryHeaders(exception), ...exception.headers };
}

function categoryHeaders(exception: DomainError): Record<string, string> {
  if (exception.category === 'invalid_token') {
    // RFC 6750 §3: the challenge says what kind of failure without saying which check.
    return { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${exception.detail}"` };
  }
  if (exception instanceof RateLimited || exception instanceof ServiceBusy) {
    return { 'Retry-After': String(Math.max(1, Math.ceil(exception.retryAfterSeconds))) };
  }
  return {};
}

/**
 * Framework errors (unknown route, unparsable body, body too large) keep their 4xx status
 * with a fixed description; anything else is an outage (503) or a bug (500), and neither
 * lets a stack trace or SQL leave the process.
 */
function describeNonDomain(exception: unknown): { status: number; detail: string } {
  const status = statusOf(exception);
  if (status !== undefined && status >= 400 && status < 500) {
    return { status, detail: clientErrorDetail(status) };
  }
  if (isDatabaseOutage(exception)) {
    logger.warn(`Database unavailable: ${(exception as Error).message}`);
    return { status: 503, detail: 'The service is temporarily unavailable. Try again shortly.' };
  }
  logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
  return { status: 500, detail: 'An unexpected error occurred.' };
}

function statusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  const candidate = (exception as { statusCode?: unknown } | null)?.statusCode;
  return typeof candidate === 'number' ? candidate : undefined;
}

function clientErrorDetail(status: number): string {
  switch (status) {
    case 400:
      return 'The request body could not be read.';
    case 404:
      return 'No such resource.';
    case 405:
      return 'Method not allowed.';
    case 413:
      return 'The request body is larger than 16 KiB.';
    case 415:
      return 'Unsupported content type: send application/json.';
    default:
      return STATUS_CODES[status] ?? 'The request was not accepted.';
  }
}
