import { Body, Controller, Get, Header, HttpCode, Post, Query, Redirect, Render, UseFilters } from '@nestjs/common';
import QRCode from 'qrcode';
import { TotpService } from '@app/accounts';
import { RequiresStepUp } from '@app/auth';
import { SecondFactorRepository } from '@app/persistence';
import { CurrentActor, DomainError, type Actor } from '@app/platform';
import { FormPipe } from '../rendering/form.pipe.js';
import type { Page } from '../rendering/page.interceptor.js';
import { StepUpFilter } from '../step-up/step-up.filter.js';
import { TotpCodeForm } from './strong-auth.forms.js';
import { TwoStepFormFilter } from './two-step-form.filter.js';

function noticeFor(done: unknown): string | undefined {
  switch (done) {
    case 'totp-off':
      return 'Two-step verification is off. Your password alone signs you in.';
    case 'identity-confirmed':
      return 'Thank you. You can go ahead now.';
    default:
      return undefined;
  }
}

/**
 * "Two-step verification" (TOTP) under the account: turning it on (step-up) shows the secret
 * once, as a QR code rendered here (inline SVG: no image request, no third party) and as text;
 * the first code confirms it and shows the ten recovery codes, once (only their hashes are
 * kept); turning it off is a step-up form too. The rules are TotpService's, as for the API.
 */
@Controller('account/two-step')
export class TwoStepPageController {
  constructor(
    private readonly totp: TotpService,
    private readonly factors: SecondFactorRepository,
  ) {}

  @Get()
  @Render('two-step.hbs')
  async show(@CurrentActor() actor: Actor, @Query('done') done: unknown): Promise<Page> {
    const factor = await this.factors.findFactor(actor.userId);
    const state = factor === null ? 'off' : factor.confirmedAt === null ? 'pending' : 'on';
    return { title: 'Two-step verification', section: 'account', state, notice: noticeFor(done) };
  }

  /** A new secret (replacing an unconfirmed one), shown on this answer only: not cached, never stored in the clear. */
  @Post('enrol')
  @RequiresStepUp()
  @UseFilters(StepUpFilter)
  @Header('Cache-Control', 'no-store')
  @HttpCode(200)
  @Render('two-step-enrol.hbs')
  async enrol(@CurrentActor() actor: Actor): Promise<Page> {
    let enrolment;
    try {
      enrolment = await this.totp.enrol(actor);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'totp-already-enabled') return alreadyOn();
      throw error;
    }
    // The one trusted markup on any page (`{{{qrSvg}}}`): the qrcode package's SVG of our own otpauth URL.
    const qrSvg = await QRCode.toString(enrolment.otpauthUrl, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    return { title: 'Turn on two-step verification', section: 'account', qrSvg, secret: groupsOf4(enrolment.secret) };
  }

  /** The first code turns it on; the recovery codes are on this answer only. */
  @Post('confirm')
  @Header('Cache-Control', 'no-store')
  @HttpCode(200)
  @Render('two-step-recovery-codes.hbs')
  @UseFilters(TwoStepFormFilter)
  async confirm(@CurrentActor() actor: Actor, @Body(FormPipe) form: TotpCodeForm): Promise<Page> {
    const { recoveryCodes } = await this.totp.confirm(actor, form.code);
    return { title: 'Save your recovery codes', section: 'account', recoveryCodes };
  }

  @Post('disable')
  @RequiresStepUp()
  @UseFilters(StepUpFilter)
  @Redirect('/account/two-step?done=totp-off', 303)
  async disable(@CurrentActor() actor: Actor): Promise<void> {
    try {
      await this.totp.disable(actor);
    } catch (error) {
      // Off already (another tab): the same page, which says so.
      if (!(error instanceof DomainError && error.code === 'totp-not-enabled')) throw error;
    }
  }
}

/** On already (another tab turned it on): the enrolment page says so instead of showing a secret. */
function alreadyOn(): Page {
  return { title: 'Two-step verification', section: 'account', alreadyOn: true };
}

/** "JBSW Y3DP …": easier to type into an app by hand. */
function groupsOf4(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? secret;
}
