import type {} from '@fastify/view';
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { RENDER_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { map, type Observable } from 'rxjs';
import type { CsrfRequest } from '../session/csrf.js';
import type { ViewerRequest } from '../session/viewer.js';

/** What every page's handler returns: the layout's title and section, and the page's own data. */
export interface Page {
  readonly title: string;
  readonly section?: 'devices' | 'activity' | 'account' | 'overview' | 'admin';
  readonly notice?: string;
  readonly error?: string;
  readonly [key: string]: unknown;
}

/**
 * For every `@Render()` handler: adds what the layout needs to the page the handler returned —
 * the viewer (null when signed out) and the CSRF token (bound to this browser's session) that
 * every form carries. Templates escape every `{{value}}`: user-typed text is never markup.
 */
@Injectable()
export class PageInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (this.reflector.get<string | undefined>(RENDER_METADATA, context.getHandler()) === undefined) return next.handle();
    const request = context.switchToHttp().getRequest<ViewerRequest & CsrfRequest>();
    return next.handle().pipe(map((page: Page) => withLayout(request, page)));
  }
}

/** The page's data plus the viewer and CSRF token (the exception filters render with it too). */
export function withLayout(request: ViewerRequest & CsrfRequest, page: Page): Record<string, unknown> {
  // CsrfGuard sets it on every route it passed; a page without one would be a bug.
  if (!request.csrfToken) throw new Error('a page rendered outside CsrfGuard: no CSRF token');
  return { viewer: request.viewer ?? null, csrfToken: request.csrfToken(), ...page };
}
