import type {} from '@fastify/view';
import type { FastifyReply } from 'fastify';
import type { Viewer } from '../session/viewer.js';

export interface PageData {
  readonly title: string;
  readonly section?: 'devices' | 'activity' | 'admin';
  readonly notice?: string;
  readonly error?: string;
  readonly [key: string]: unknown;
}

/**
 * Renders a page inside the layout, with the CSRF token every form of it carries.
 * Templates escape every `{{value}}`: user-typed text is never markup.
 */
export function renderPage(reply: FastifyReply, template: string, viewer: Viewer | null, data: PageData, status = 200): FastifyReply {
  return reply.status(status).view(template, { viewer, csrfToken: reply.generateCsrf(), ...data });
}
