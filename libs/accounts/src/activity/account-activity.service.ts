import { type Actor } from '@app/platform';
import { Injectable } from '@nestjs/common';
import { DeviceRepository, SecurityEventRepository } from '@app/persistence';
import { collapseRuns, COLLAPSED_TYPES, type ActivityEntry } from './activity-entry.js';
import { DeviceNotFound } from '../device-not-found.error.js';
import { mayInspectAccount } from '../account-policy.js';

/** Events of each collapsed type read for one page at the most; a larger flood shows as this many. */
const MAX_COLLAPSED_READ = 5000;

/** An account's security activity and the names of its devices (revoked ones too), for reading it. */
export interface AccountActivity {
  readonly entries: ActivityEntry[];
  readonly deviceNames: ReadonlyMap<string, string>;
}

/** An account's security activity, newest first (read by the dashboard). */
@Injectable()
export class AccountActivityService {
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
   * The newest `limit` events that are not failed sign-ins or refused DPoP proofs, read apart
   * from those, which anybody can cause in any number; these are then read back to the oldest
   * of the others and shown between and after them as runs (see collapseRuns). So no flood of
   * them can push a sign-in or a reuse detection off the page.
   */
  async recent(userId: string, limit = 50): Promise<ActivityEntry[]> {
    const others = await this.events.listForUserExceptTypes(userId, COLLAPSED_TYPES, limit);
    const since = others.length === limit ? others[others.length - 1].createdAt : null;
    const collapsible = await Promise.all(
      COLLAPSED_TYPES.map((type) => this.events.listForUserOfType(userId, type, since, MAX_COLLAPSED_READ)),
    );
    return collapseRuns(others, ...collapsible);
  }
}
