import { Body, Controller, Get, Post, Query, Render } from '@nestjs/common';
import { AccountService, EmailVerificationService } from '@app/accounts';
import { Origin, Public, type RequestOrigin } from '@app/platform';
import { FormPipe } from '../rendering/form.pipe.js';
import type { Page } from '../rendering/page.interceptor.js';
import { linkTokenOf } from './link-token.js';
import { LinkTokenForm } from './link-token.form.js';

/**
 * Where the verification and email-change mails link to. Public. The GET (which mail scanners
 * prefetch) only shows a button; the button's POST spends the token.
 */
@Public()
@Controller()
export class LinkPagesController {
  constructor(
    private readonly verification: EmailVerificationService,
    private readonly account: AccountService,
  ) {}

  @Get('verify-email')
  @Render('link-landing.hbs')
  verifyPage(@Query('token') token: unknown): Page {
    return {
      title: 'Confirm your email address',
      heading: 'Confirm your email address',
      action: '/verify-email',
      label: 'Confirm my address',
      token: linkTokenOf(token),
    };
  }

  @Post('verify-email')
  @Render('link-done.hbs')
  async verify(@Body(FormPipe) form: LinkTokenForm, @Origin() origin: RequestOrigin): Promise<Page> {
    await this.verification.verify(form.token, origin);
    return { title: 'Address confirmed', heading: 'Address confirmed', detail: 'Your email address is verified. Thank you.' };
  }

  @Get('confirm-email')
  @Render('link-landing.hbs')
  confirmPage(@Query('token') token: unknown): Page {
    return {
      title: 'Confirm your new address',
      heading: 'Confirm your new email address',
      action: '/confirm-email',
      label: 'Use this address',
      token: linkTokenOf(token),
    };
  }

  @Post('confirm-email')
  @Render('link-done.hbs')
  async confirm(@Body(FormPipe) form: LinkTokenForm, @Origin() origin: RequestOrigin): Promise<Page> {
    await this.account.confirmEmailChange(form.token, origin);
    return {
      title: 'Address changed',
      heading: 'Address changed',
      detail: 'Your account now uses the new address: sign in with it from now on.',
    };
  }
}
