import { Injectable } from '@nestjs/common';
import {
  DeviceRepository,
  SecurityEventRepository,
  UserRepository,
  WebhookDeliveryRepository,
  type DevicePlatform,
  type SecurityEventEntity,
  type WebhookOutboxStatus,
} from '@app/persistence';
import { AppConfig, Clock, type Actor } from '@app/platform';
import { DeviceNotFound } from '../device-not-found.error.js';

/** Newest events shown of each kind: reuse detections, and refused proofs apart from them. */
const RECENT_THREATS = 50;
const PLATFORMS: readonly DevicePlatform[] = ['ios', 'android', 'web', 'other'];

/** An event with the email of its account (null when the account is gone). */
export interface AccountEvent {
  readonly event: SecurityEventEntity;
  readonly email: string | null;
}

export interface OperatorOverview {
  readonly accounts: number;
  /** Devices that can still refresh (not revoked, session not past its absolute end). */
  readonly activeDevices: { readonly total: number; readonly byPlatform: readonly { platform: DevicePlatform; count: number }[] };
  /** The newest refresh-token reuse detections (signs of theft), newest first, with the account's email. */
  readonly reuseDetections: readonly AccountEvent[];
  /**
   * The newest refused DPoP proofs (a key-bound device's refresh without its key; each event a run
   * of up to a minute, its count in `occurrences`), newest first, with the account's email. A list
   * of its own: anybody holding a bound device's refresh token can cause these, and however many
   * they cause, the reuse detections above stay in view.
   */
  readonly refusedProofs: readonly AccountEvent[];
  /** The security webhook's outbox (kept 24 h undelivered, 7 days delivered); null when SECURITY_WEBHOOK_URL is unset. */
  readonly webhook: WebhookOutboxStatus | null;
}

/** The operators' view across all accounts; anyone else gets nothing (as if it did not exist). */
@Injectable()
export class OperatorOverviewService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly users: UserRepository,
    private readonly devices: DeviceRepository,
    private readonly events: SecurityEventRepository,
    private readonly deliveries: WebhookDeliveryRepository,
  ) {}

  async overview(actor: Actor): Promise<OperatorOverview> {
    if (actor.role !== 'operator') throw new DeviceNotFound();
    const [accounts, active, reused, refused, webhook] = await Promise.all([
      this.users.countAccounts(),
      this.devices.countActiveByPlatform(this.clock.now()),
      this.events.listRecentOfTypes(['refresh_token_reused'], RECENT_THREATS),
      this.events.listRecentOfTypes(['dpop_proof_rejected'], RECENT_THREATS),
      this.config.securityWebhook ? this.deliveries.status() : null,
    ]);
    const userIds = new Set([...reused, ...refused].flatMap((event) => (event.userId === null ? [] : [event.userId])));
    const emails = new Map((await this.users.findByIds([...userIds])).map((user) => [user.id, user.email]));
    const withEmail = (event: SecurityEventEntity): AccountEvent => ({
      event,
      email: (event.userId !== null && emails.get(event.userId)) || null,
    });
    const byPlatform = PLATFORMS.map((platform) => ({ platform, count: active.get(platform) ?? 0 }));
    return {
      accounts,
      activeDevices: { total: byPlatform.reduce((sum, entry) => sum + entry.count, 0), byPlatform },
      reuseDetections: reused.map(withEmail),
      refusedProofs: refused.map(withEmail),
      webhook,
    };
  }
}
