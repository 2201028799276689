import { Body, Controller, Get, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AuthService, InvalidCredentials, Origin, type RequestOrigin } from '@app/auth';
import { Public, RateLimited } from '@app/platform';
import { CsrfTokens } from '../session/csrf.js';
import { DashboardCookies } from '../session/session-cookies.js';
import { safeNextPath } from '../session/sign-in-required.error.js';
import { CurrentViewer, type Viewer } from '../session/viewer.js';
import { readForm } from '../views/form.js';
import { renderPage } from '../views/render-page.js';
import { describeBrowser } from './describe-browser.js';
import { SignInForm } from './sign-in.form.js';

/** `next` as the sign-in form's query carries it back (encoded, so it round-trips exactly). */
function nextQuery(next: string | undefined): string | undefined {
  return next === undefined ? undefined : encodeURIComponent(next);
}

/** Signing in creates a `web` device like any login; signing out revokes it. */
@Controller()
export class SignInController {
  constructor(
    private readonly auth: AuthService,
    private readonly cookies: DashboardCookies,
  ) {}

  @Public()
  @Get()
  home(@Res() reply: FastifyReply): FastifyReply {
    return reply.redirect('/devices', 303);
  }

  @Public()
  @Get('signin')
  form(@Query('next') next: unknown, @Query('done') done: unknown, @Res() reply: FastifyReply): FastifyReply {
    return renderPage(reply, 'signin.hbs', null, {
      title: 'Sign in',
      next: nextQuery(safeNextPath(next)),
      notice: done === 'signed-out' ? 'You are signed out.' : undefined,
    });
  }

  @Public()
  @Post('signin')
  async signIn(@Body() body: unknown, @Query('next') next: unknown, @Origin() origin: RequestOrigin, @Res() reply: FastifyReply): Promise<FastifyReply> {
    // Decided before signing in: whatever `next` holds, a successful sign-in ends in a redirect.
    const safeNext = safeNextPath(next);
    const form = readForm(SignInForm, body);
    if ('error' in form) return renderPage(reply, 'signin.hbs', null, { title: 'Sign in', next: nextQuery(safeNext), error: form.error }, 400);
    try {
      const tokens = await this.auth.login(form.value, { name: describeBrowser(origin.userAgent), platform: 'web' }, origin);
      this.cookies.setSession(reply, tokens);
      // CSRF tokens are bound to the new device from now on; the pre-session is over.
      this.cookies.clearPreSession(reply);
      return reply.redirect(safeNext ?? '/devices', 303);
    } catch (error) {
      const page = { title: 'Sign in', next: nextQuery(safeNext), email: form.value.email };
      if (error instanceof InvalidCredentials) return renderPage(reply, 'signin.hbs', null, { ...page, error: error.detail }, 401);
      if (error instanceof RateLimited) {
        void reply.header('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
        return renderPage(reply, 'signin.hbs', null, { ...page, error: 'Too many failed sign-ins. Try again later.' }, 429);
      }
      throw error;
    }
  }

  @Post('signout')
  async signOut(@CurrentViewer() viewer: Viewer, @Origin() origin: RequestOrigin, @Res() reply: FastifyReply): Promise<FastifyReply> {
    await this.auth.logout(viewer.userId, viewer.deviceId, origin);
    this.cookies.clearSession(reply);
    // A fresh pre-session: nothing minted before or during the session is good any more.
    this.cookies.setPreSession(reply, CsrfTokens.newPreSessionId());
    return reply.redirect('/signin?done=signed-out', 303);
  }
}
