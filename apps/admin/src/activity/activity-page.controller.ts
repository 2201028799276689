import { Controller, Get, Render } from '@nestjs/common';
import { AccountActivityService } from '@app/accounts';
import { Clock, CurrentActor, type Actor } from '@app/platform';
import type { Page } from '../rendering/page.interceptor.js';
import { toEventView } from './event-view.js';

/** "Security activity": the account's recent security events, newest first. */
@Controller('activity')
export class ActivityPageController {
  constructor(
    private readonly events: AccountActivityService,
    private readonly clock: Clock,
  ) {}

  @Get()
  @Render('activity.hbs')
  async list(@CurrentActor() actor: Actor): Promise<Page> {
    const { entries, deviceNames } = await this.events.activity(actor);
    const now = this.clock.now();
    return { title: 'Security activity', section: 'activity', events: entries.map((entry) => toEventView(entry, actor, deviceNames, now)) };
  }
}
