import { Body, Controller, Get, Post, Query, Redirect, Render, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { PasswordResetService } from '@app/accounts';
import { Origin, Public, type RequestOrigin } from '@app/platform';
import { linkTokenOf } from '../links/link-token.js';
import { FormPipe } from '../rendering/form.pipe.js';
import type { Page } from '../rendering/page.interceptor.js';
import { DashboardCookies } from '../session/session-cookies.js';
import { ForgotPasswordForm, ResetPasswordForm } from './recovery.forms.js';
import { PasswordsDiffer, RecoveryFormFilter } from './recovery-form.filter.js';

/**
 * "Forgot password?" and the page its mail links to. Public: no session needed. Opening the
 * mailed link (GET) only shows the form; the token is spent by the form's POST.
 */
@Public()
@Controller()
export class RecoveryPagesController {
  constructor(
    private readonly resets: PasswordResetService,
    private readonly cookies: DashboardCookies,
  ) {}

  @Get('forgot-password')
  @Render('forgot-password.hbs')
  form(@Query('done') done: unknown): Page {
    return done === 'sent' ? { title: 'Check your mail', sent: true } : { title: 'Forgot password' };
  }

  /** The same answer whether or not the address has an account (the service mails after answering). */
  @Post('forgot-password')
  @Redirect('/forgot-password?done=sent', 303)
  @UseFilters(RecoveryFormFilter)
  async forgot(@Body(FormPipe) form: ForgotPasswordForm, @Origin() origin: RequestOrigin): Promise<void> {
    await this.resets.forgot(form.email, origin);
  }

  @Get('reset-password')
  @Render('reset-password.hbs')
  resetForm(@Query('token') token: unknown): Page {
    return { title: 'Choose a new password', token: linkTokenOf(token) };
  }

  /** Every device of the account is signed out by the reset, this browser's session included. */
  @Post('reset-password')
  @Redirect('/signin?done=password-reset', 303)
  @UseFilters(RecoveryFormFilter)
  async reset(
    @Body(FormPipe) form: ResetPasswordForm,
    @Origin() origin: RequestOrigin,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    if (form.password !== form.confirmation) throw new PasswordsDiffer();
    await this.resets.reset(form.token, form.password, origin);
    this.cookies.clearSession(reply);
  }
}
