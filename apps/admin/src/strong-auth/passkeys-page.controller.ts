import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Redirect, Render, UseFilters } from '@nestjs/common';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { PasskeyService, RequiresStepUp } from '@app/auth';
import { Clock, CurrentActor, DomainError, uuidParam, type Actor } from '@app/platform';
import { FormPipe } from '../rendering/form.pipe.js';
import type { Page } from '../rendering/page.interceptor.js';
import { formatExact, formatRelative } from '../rendering/time-format.js';
import { StepUpFilter } from '../step-up/step-up.filter.js';
import { ScriptAnswerFilter } from './script-answer.filter.js';
import { AddPasskeyForm } from './strong-auth.forms.js';

/** A malformed id is just an unknown passkey: the same 404 as PasskeyService's. */
class UnknownPasskey extends DomainError {
  readonly category = 'not_found';
  readonly code = 'passkey-not-found';
  constructor() {
    super('No such passkey.');
  }
}

function noticeFor(done: unknown): string | undefined {
  switch (done) {
    case 'passkey-added':
      return 'Your passkey is added. You can sign in with it now.';
    case 'passkey-removed':
      return 'The passkey is removed. It signs nothing in any more.';
    case 'identity-confirmed':
      return 'Thank you. You can go ahead now.';
    default:
      return undefined;
  }
}

/**
 * "Passkeys" under the account: the list, adding one (the passkey script: options, the
 * browser's ceremony, the result; step-up) and removing one (a form; step-up). The checks are
 * PasskeyService's (@simplewebauthn/server), exactly as the API's routes.
 */
@Controller('account/passkeys')
export class PasskeysPageController {
  constructor(
    private readonly passkeys: PasskeyService,
    private readonly clock: Clock,
  ) {}

  @Get()
  @Render('passkeys.hbs')
  async list(@CurrentActor() actor: Actor, @Query('done') done: unknown): Promise<Page> {
    const now = this.clock.now();
    const passkeys = (await this.passkeys.list(actor)).map((passkey) => {
      const lastUsed = passkey.lastUsedAt === null ? null : Date.parse(passkey.lastUsedAt);
      return {
        id: passkey.id,
        name: passkey.name,
        createdIso: passkey.createdAt,
        createdExact: formatExact(Date.parse(passkey.createdAt)),
        lastUsedIso: passkey.lastUsedAt,
        lastUsedRelative: lastUsed === null ? null : formatRelative(lastUsed, now),
        lastUsedExact: lastUsed === null ? null : formatExact(lastUsed),
      };
    });
    return { title: 'Passkeys', section: 'account', passkeys, notice: noticeFor(done) };
  }

  /** The script's first step: creation options for this account (its passkeys excluded). */
  @Post('options')
  @RequiresStepUp()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @UseFilters(ScriptAnswerFilter)
  options(@CurrentActor() actor: Actor): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.passkeys.registrationOptions(actor);
  }

  /** The script's second step: the authenticator's answer, verified and stored (event `passkey_added`). */
  @Post()
  @RequiresStepUp()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @UseFilters(ScriptAnswerFilter)
  async add(@CurrentActor() actor: Actor, @Body(FormPipe) form: AddPasskeyForm): Promise<{ redirect: string }> {
    await this.passkeys.register(actor, form.response, form.name);
    return { redirect: '/account/passkeys?done=passkey-added' };
  }

  @Post(':id/remove')
  @RequiresStepUp()
  @UseFilters(StepUpFilter)
  @Redirect('/account/passkeys?done=passkey-removed', 303)
  async remove(@CurrentActor() actor: Actor, @Param('id', uuidParam(() => new UnknownPasskey())) id: string): Promise<void> {
    await this.passkeys.remove(actor, id);
  }
}
