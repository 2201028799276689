import { Body, Controller, Get, Header, HttpCode, Post, Query, Redirect, Render, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AuthService, PasskeyService } from '@app/auth';
import { Public, CurrentActor, Origin, type Actor, type RequestOrigin } from '@app/platform';
import { FormPipe } from '../rendering/form.pipe.js';
import type { Page } from '../rendering/page.interceptor.js';
import { DashboardCookies } from '../session/session-cookies.js';
import { ScriptAnswerFilter } from '../strong-auth/script-answer.filter.js';
import { PasskeyAssertionForm } from '../strong-auth/strong-auth.forms.js';
import { safeNextPath } from '../session/sign-in-required.error.js';
import { describeBrowser } from './describe-browser.js';
import { nextQuery, SecondFactorFormFilter, SignInFormFilter } from './sign-in-form.filter.js';
import { SecondFactorForm, SignInForm } from './sign-in.form.js';

/** What the sign-in page says after a redirect, by a fixed code (never user text). */
const SIGN_IN_NOTICES = new Map([
  ['signed-out', 'You are signed out.'],
  ['password-reset', 'Your password is changed and every device was signed out. Sign in with the new password.'],
  ['account-deleted', 'Your account is deleted. Every device was signed out.'],
]);

/** Signing in creates a `web` device like any login; signing out revokes it. */
@Controller()
export class SignInController {
  constructor(
    private readonly auth: AuthService,
    private readonly passkeys: PasskeyService,
    private readonly cookies: DashboardCookies,
  ) {}

  @Public()
  @Get()
  @Redirect('/devices', 303)
  home(): void {}

  @Public()
  @Get('signin')
  @Render('signin.hbs')
  form(@Query('next') next: unknown, @Query('done') done: unknown): Page {
    return { title: 'Sign in', next: nextQuery(safeNextPath(next)), notice: SIGN_IN_NOTICES.get(String(done)) };
  }

  @Public()
  @Post('signin')
  @Redirect()
  @UseFilters(SignInFormFilter)
  async signIn(
    @Body(FormPipe) form: SignInForm,
    @Query('next') next: unknown,
    @Origin() origin: RequestOrigin,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ url: string; statusCode: number }> {
    // Decided before signing in: whatever `next` holds, a successful sign-in ends in a redirect.
    const url = safeNextPath(next) ?? '/devices';
    const tokens = await this.auth.loginToDashboard(form, { name: describeBrowser(origin.userAgent), platform: 'web' }, origin);
    this.cookies.startSession(reply, tokens);
    return { url, statusCode: 303 };
  }

  /**
   * "Two-step verification" posts here: finishes the sign-in that answered `mfa_required` with a
   * TOTP or recovery code, as `POST /auth/login/mfa` does; the device is the one described when
   * the password was checked (a `web` device of the dashboard).
   */
  @Public()
  @Post('signin/second-factor')
  @Redirect()
  @UseFilters(SecondFactorFormFilter)
  async secondFactor(
    @Body(FormPipe) form: SecondFactorForm,
    @Query('next') next: unknown,
    @Origin() origin: RequestOrigin,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ url: string; statusCode: number }> {
    const url = safeNextPath(next) ?? '/devices';
    const tokens = await this.auth.loginToDashboardWithSecondFactor({ mfaToken: form.mfaToken, code: form.code }, origin);
    this.cookies.startSession(reply, tokens);
    return { url, statusCode: 303 };
  }

  /** "Sign in with a passkey" and passkey autofill (the passkey script), first step: a challenge for any passkey of the site. */
  @Public()
  @Post('signin/passkey/options')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @UseFilters(ScriptAnswerFilter)
  passkeyOptions(): ReturnType<PasskeyService['signInOptions']> {
    return this.passkeys.signInOptions();
  }

  /**
   * Second step: the assertion, checked and counted as `POST /auth/passkey/login` does, signs in
   * a `web` device of the dashboard (no password, no second factor: a passkey is both).
   */
  @Public()
  @Post('signin/passkey')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @UseFilters(ScriptAnswerFilter)
  async signInWithPasskey(
    @Body(FormPipe) form: PasskeyAssertionForm,
    @Query('next') next: unknown,
    @Origin() origin: RequestOrigin,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ redirect: string }> {
    const redirect = safeNextPath(next) ?? '/devices';
    const description = { name: describeBrowser(origin.userAgent), platform: 'web' as const };
    const tokens = await this.passkeys.signInToDashboard(form.challengeId, form.response, description, origin);
    this.cookies.startSession(reply, tokens);
    return { redirect };
  }

  @Post('signout')
  @Redirect('/signin?done=signed-out', 303)
  async signOut(@CurrentActor() actor: Actor, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.auth.logout(actor);
    this.cookies.endSession(reply);
  }
}
