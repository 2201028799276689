import type {} from '@fastify/view';
import type { FastifyReply } from 'fastify';
import type { CsrfRequest } from '../session/csrf.js';
import type { Viewer } from '../session/viewer.js';

export interface PageData {
  readonly title: string;
  readonly section?: 'devices' | 'activity' | 'admin';
  readonly notice?: string;
  readonly error?: string;
  readonly [key: string]: unknown;
}

/**
 * Renders a page inside the layout, with the CSRF token (bound to this browser's session) that
 * every form of it carries.
 * Templates escape every `{{value}}`: user-typed text is never markup.
 */
export function renderPage(reply: FastifyReply, template: string, viewer: Viewer | null, data: PageData, status = 200): FastifyReply {
  const csrfToken = (reply.request as FastifyReply['request'] & CsrfRequest).csrfToken;
  // Set by DashboardSessionGuard on every route it passed; a page without one would be a bug.
  if (!csrfToken) throw new Error('renderPage outside DashboardSessionGuard: no CSRF token');
  return reply.status(status).view(template, { viewer, csrfToken: csrfToken(), ...data });
}
