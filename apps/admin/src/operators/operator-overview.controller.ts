import { Get, Render } from '@nestjs/common';
import { OperatorOverviewService } from '@app/devices';
import { Clock, CurrentActor, type Actor } from '@app/platform';
import { toEventView } from '../activity/event-view.js';
import type { Page } from '../rendering/page.interceptor.js';
import { OperatorPages } from './operator.guard.js';

const NO_DEVICE_NAMES: ReadonlyMap<string, string> = new Map();

/**
 * The operators' overview: how many devices are signed in, and the recent signs of theft across
 * all accounts (reuse detections, refreshes refused for a missing DPoP key), each linking to
 * its account. Behind OperatorGuard like every operator page.
 */
@OperatorPages('admin')
export class OperatorOverviewController {
  constructor(
    private readonly overview: OperatorOverviewService,
    private readonly clock: Clock,
  ) {}

  @Get()
  @Render('overview.hbs')
  async show(@CurrentActor() actor: Actor): Promise<Page> {
    const overview = await this.overview.overview(actor);
    const now = this.clock.now();
    return {
      title: 'Overview',
      section: 'overview',
      accounts: overview.accounts,
      activeDevices: overview.activeDevices,
      webhook: overview.webhook,
      threats: overview.recentThreats.map(({ event, email }) => ({
        ...toEventView({ ...event, repeated: 1 }, actor, NO_DEVICE_NAMES, now),
        userId: event.userId,
        email,
      })),
    };
  }
}
