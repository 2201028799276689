import { type Actor } from '@app/platform';
import { Injectable } from '@nestjs/common';
import { DeviceRepository, SecurityEventRepository } from '@app/persistence';
import { collapseFailures, type ActivityEntry } from './activity-entry.js';
import { DeviceNotFound } from './device-not-found.error.js';
import { mayInspectAccount } from './device-policy.js';

/** Failed sign-ins read for one page at the most; a larger flood shows as this many. */
const MAX_FAILURES_READ = 5000;

/** An account's security activity and the names of its devices (revoked ones too), for reading it. */
export interface AccountActivity {
  readonly entries: ActivityEntry[];
  readonly deviceNames: ReadonlyMap<string, string>;
}

/** An account's security activity, newest first (read by the dashboard). */
@Injectable()
export class SecurityEventsService {
  constructor(
    private readonly events: SecurityEventRepository,
    private readonly devices: DeviceRepository,
  ) {}

  /** The actor's own activity, or, for an operator, any account's. */
  async activity(actor: Actor, userId = actor.userId): Promise<AccountActivity> {
    if (!mayInspectAccount(actor, userId)) throw new DeviceNotFound();
    const [entries, deviceNames] = await Promise.all([this.recent(userId), this.devices.namesByUser(userId)]);
    return { entries, deviceNames };
  }

  /**
   * The newest `limit` events that are not failed sign-ins, with the failed sign-ins between
   * and after them collapsed into one entry per run (see collapseFailures).
   */
  async recent(userId: string, limit = 50): Promise<ActivityEntry[]> {
    const others = await this.events.listForUserExcept(userId, 'login_failed', limit);
    const since = others.length === limit ? others[others.length - 1].createdAt : null;
    const failures = await this.events.listForUserOfType(userId, 'login_failed', since, MAX_FAILURES_READ);
    return collapseFailures(others, failures);
  }
}
