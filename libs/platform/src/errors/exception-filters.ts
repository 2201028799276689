import { Catch, Injectable, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { toOAuthError, toProblem, type WireError } from './wire-error.js';

@Injectable()
abstract class WireErrorFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  protected abstract map(exception: unknown, path: string): WireError;

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const path = String(http.getRequest<{ url?: string }>().url ?? '').split('?')[0];
    const wire = this.map(exception, path);
    const adapter = this.adapterHost.httpAdapter;
    const response = http.getResponse();
    adapter.setHeader(response, 'Content-Type', wire.contentType);
    for (const [name, value] of Object.entries(wire.headers)) adapter.setHeader(response, name, value);
    adapter.reply(response, JSON.stringify(wire.body), wire.status);
  }
}

/**
 * The app-wide filter: every error leaves as application/problem+json, except on the
 * OAuth paths given, which answer RFC 6749 §5.2 even for errors raised before routing
 * (an unparsable or oversized body).
 */
@Catch()
export class ProblemDetailsFilter extends WireErrorFilter {
  constructor(
    adapterHost: HttpAdapterHost,
    @Optional() private readonly oauthPaths: ReadonlySet<string> = new Set(),
  ) {
    super(adapterHost);
  }

  protected map(exception: unknown, path: string): WireError {
    return this.oauthPaths.has(path) ? toOAuthError(exception) : toProblem(exception);
  }
}

/** For the token endpoints' controller: errors as RFC 6749 §5.2. */
@Catch()
export class OAuthErrorFilter extends WireErrorFilter {
  protected map(exception: unknown): WireError {
    return toOAuthError(exception);
  }
}
