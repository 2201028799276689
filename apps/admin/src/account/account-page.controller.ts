import { Body, Controller, Get, Header, HttpCode, Post, Query, Redirect, Render, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AccountService, EmailVerificationService } from '@app/accounts';
import { AuthService, PasskeyService, RequiresStepUp, SecondFactor } from '@app/auth';
import { CurrentActor, RateLimited, type Actor } from '@app/platform';
import { FormPipe } from '../rendering/form.pipe.js';
import type { Page } from '../rendering/page.interceptor.js';
import { DashboardCookies } from '../session/session-cookies.js';
import { AccountFormFilter } from './account-form.filter.js';
import { ChangeEmailForm, ChangePasswordForm, ConfirmIdentityForm } from './account.forms.js';
import { PasswordsDiffer } from '../recovery/recovery-form.filter.js';
import { STEP_UP_RETURNS, stepUpReturnOf } from '../step-up/step-up.js';
import { ScriptAnswerFilter } from '../strong-auth/script-answer.filter.js';
import { PasskeyAssertionForm } from '../strong-auth/strong-auth.forms.js';

type RedirectTo = { url: string; statusCode: number };

/** Messages after an action, chosen by a fixed code in the redirect (never user text). */
function noticeFor(done: unknown): string | undefined {
  switch (done) {
    case 'verification-sent':
      return 'A new confirmation link is on its way to your address.';
    case 'verification-wait':
      return 'A link was sent less than a minute ago: check your mail, or try again in a minute.';
    case 'email-change-sent':
      return 'A confirmation link is on its way to the new address. Nothing changes until you open it.';
    case 'identity-confirmed':
      return 'Thank you. You can go ahead now.';
    case 'password-changed':
      return 'Password changed; other devices were signed out.';
    default:
      return undefined;
  }
}

/**
 * "Your account": the address and its verification, changing it, the password, closing the
 * account (step-up for the address and closing; the password form asks for the current one).
 */
@Controller('account')
export class AccountPageController {
  constructor(
    private readonly account: AccountService,
    private readonly verification: EmailVerificationService,
    private readonly auth: AuthService,
    private readonly cookies: DashboardCookies,
    private readonly secondFactor: SecondFactor,
    private readonly passkeys: PasskeyService,
  ) {}

  @Get()
  @Render('account.hbs')
  async show(@CurrentActor() actor: Actor, @Query('done') done: unknown): Promise<Page> {
    const account = await this.account.get(actor);
    return { title: 'Your account', section: 'account', account, notice: noticeFor(done) };
  }

  @Post('verify')
  @Redirect()
  async resendVerification(@CurrentActor() actor: Actor): Promise<RedirectTo> {
    try {
      await this.verification.request(actor);
    } catch (error) {
      if (error instanceof RateLimited) return { url: '/account?done=verification-wait', statusCode: 303 };
      throw error;
    }
    return { url: '/account?done=verification-sent', statusCode: 303 };
  }

  @Get('email')
  @Render('change-email.hbs')
  async changeEmailForm(@CurrentActor() actor: Actor, @Query('done') done: unknown): Promise<Page> {
    const account = await this.account.get(actor);
    return { title: 'Change email', section: 'account', account, notice: noticeFor(done) };
  }

  @Post('email')
  @RequiresStepUp()
  @Redirect('/account?done=email-change-sent', 303)
  @UseFilters(AccountFormFilter)
  async changeEmail(@CurrentActor() actor: Actor, @Body(FormPipe) form: ChangeEmailForm): Promise<void> {
    await this.account.requestEmailChange(actor, form.newEmail);
  }

  @Get('password')
  @Render('change-password.hbs')
  changePasswordForm(): Page {
    return { title: 'Change password', section: 'account' };
  }

  /**
   * What the API's `POST /auth/password` does, by the same service: the current password is its
   * own step-up (checked after counting it on the sign-in limits), and every other device of the
   * account is signed out. This browser's device is kept, so it stays signed in. The passwords
   * are never logged or shown again.
   */
  @Post('password')
  @Redirect('/account?done=password-changed', 303)
  @UseFilters(AccountFormFilter)
  async changePassword(@CurrentActor() actor: Actor, @Body(FormPipe) form: ChangePasswordForm): Promise<void> {
    if (form.newPassword !== form.confirmation) throw new PasswordsDiffer();
    await this.auth.changePassword(actor, form.currentPassword, form.newPassword);
  }

  @Get('delete')
  @Render('account-delete.hbs')
  async deleteForm(@CurrentActor() actor: Actor, @Query('done') done: unknown): Promise<Page> {
    const account = await this.account.get(actor);
    return { title: 'Delete account', section: 'account', account, notice: noticeFor(done) };
  }

  /** Every device is signed out, this browser too: its cookies go, and sign-in says what happened. */
  @Post('delete')
  @RequiresStepUp()
  @Redirect('/signin?done=account-deleted', 303)
  @UseFilters(AccountFormFilter)
  async delete(@CurrentActor() actor: Actor, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    await this.account.delete(actor);
    this.cookies.endSession(reply);
  }

  @Get('confirm-identity')
  @Render('confirm-identity.hbs')
  async confirmIdentityForm(@CurrentActor() actor: Actor, @Query('return') returnTo: unknown): Promise<Page> {
    const askCode = await this.secondFactor.isEnabled(actor.userId);
    return { title: "Confirm it's you", section: 'account', returnTo: stepUpReturnOf(returnTo), askCode };
  }

  /**
   * The password again (and the app's code when two-step verification is on): this browser's
   * device gets a fresh sign-in time and new tokens (its cookies), then back to the form.
   */
  @Post('confirm-identity')
  @Redirect()
  @UseFilters(AccountFormFilter)
  async confirmIdentity(
    @CurrentActor() actor: Actor,
    @Body(FormPipe) form: ConfirmIdentityForm,
    @Query('return') returnTo: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RedirectTo> {
    const tokens = await this.auth.reauthenticate(actor, form.password, form.code);
    this.cookies.setSession(reply, tokens);
    return { url: `${STEP_UP_RETURNS[stepUpReturnOf(returnTo)]}?done=identity-confirmed`, statusCode: 303 };
  }

  /** "Use a passkey" (the passkey script), first step: a challenge for any of the relying party's passkeys. */
  @Post('confirm-identity/passkey/options')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @UseFilters(ScriptAnswerFilter)
  passkeyOptions(): ReturnType<PasskeyService['signInOptions']> {
    return this.passkeys.signInOptions();
  }

  /**
   * "Use a passkey", second step: an assertion of one of the account's own passkeys, checked as
   * `POST /auth/reauthenticate` checks it; then as with the password: new cookies, back to the form.
   */
  @Post('confirm-identity/passkey')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @UseFilters(ScriptAnswerFilter)
  async confirmIdentityWithPasskey(
    @CurrentActor() actor: Actor,
    @Body(FormPipe) form: PasskeyAssertionForm,
    @Query('return') returnTo: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ redirect: string }> {
    const tokens = await this.passkeys.reauthenticate(actor, form.challengeId, form.response);
    this.cookies.setSession(reply, tokens);
    return { redirect: `${STEP_UP_RETURNS[stepUpReturnOf(returnTo)]}?done=identity-confirmed` };
  }
}
