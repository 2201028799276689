import { Get, Render } from '@nestjs/common';
import { OperatorOverviewService, type AccountEvent } from '@app/accounts';
import { KeyRing } from '@app/keys';
import { Clock, CurrentActor, type Actor } from '@app/platform';
import { toEventView } from '../activity/event-view.js';
import type { Page } from '../rendering/page.interceptor.js';
import { OperatorPages } from './operator.guard.js';

const NO_DEVICE_NAMES: ReadonlyMap<string, string> = new Map();

/**
 * The operators' overview: how many devices are signed in, and the recent signs of theft across
 * all accounts, each linking to its account: the refresh-token reuse detections, and apart from
 * them (so that no number of these can push a detection off the page) the refreshes of key-bound
 * devices refused for want of the key, each with its count. Behind OperatorGuard like every
 * operator page.
 */
@OperatorPages('admin')
export class OperatorOverviewController {
  constructor(
    private readonly overview: OperatorOverviewService,
    private readonly clock: Clock,
    private readonly keys: KeyRing,
  ) {}

  @Get()
  @Render('overview.hbs')
  async show(@CurrentActor() actor: Actor): Promise<Page> {
    const overview = await this.overview.overview(actor);
    const now = this.clock.now();
    const toView = ({ event, email }: AccountEvent) => ({
      ...toEventView({ ...event, repeated: event.occurrences }, actor, NO_DEVICE_NAMES, now),
      userId: event.userId,
      email,
    });
    return {
      title: 'Overview',
      section: 'overview',
      accounts: overview.accounts,
      activeDevices: overview.activeDevices,
      webhook: overview.webhook,
      reuseDetections: overview.reuseDetections.map(toView),
      refusedProofs: overview.refusedProofs.map(toView),
      signingKeys: this.signingKeys(now),
    };
  }

  /** The access-token signing keys as this process holds them (API.md § Signing keys): no database query. */
  private signingKeys(now: number): { managed: boolean; keys: Record<string, string>[] } {
    const time = (ms: number | null) => (ms === null ? '—' : new Date(ms).toISOString().replace('.000Z', 'Z'));
    return {
      managed: this.keys.managed,
      keys: this.keys.list(now).map((key) => ({
        kid: key.kid,
        state: key.status.state === 'retired' && !key.status.published ? 'retired (unpublished)' : key.status.state,
        algorithm: key.algorithm,
        created: time(key.createdAt),
        activates: time(key.activatesAt),
        ends: time(key.revokedAt ?? key.status.unpublishedAt),
      })),
    };
  }
}
