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
import { DeviceNotFound } from './device-not-found.error.js';

/** Signs of theft or of attempts at it, across all accounts. */
const THREAT_TYPES = ['refresh_token_reused', 'dpop_proof_rejected'] as const;
const RECENT_THREATS = 50;
const PLATFORMS: readonly DevicePlatform[] = ['ios', 'android', 'web', 'other'];

export interface OperatorOverview {
  readonly accounts: number;
  /** Devices that can still refresh (not revoked, session not past its absolute end). */
  readonly activeDevices: { readonly total: number; readonly byPlatform: readonly { platform: DevicePlatform; count: number }[] };
  /** The newest reuse detections and refused DPoP refreshes, newest first, with the account's email. */
  readonly recentThreats: readonly { readonly event: SecurityEventEntity; readonly email: string | null }[];
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
    const [accounts, active, threats, webhook] = await Promise.all([
      this.users.countAccounts(),
      this.devices.countActiveByPlatform(this.clock.now()),
      this.events.listRecentOfTypes(THREAT_TYPES, RECENT_THREATS),
      this.config.securityWebhook ? this.deliveries.status() : null,
    ]);
    const emails = new Map(
      (await this.users.findByIds([...new Set(threats.map((event) => event.userId))])).map((user) => [user.id, user.email]),
    );
    const byPlatform = PLATFORMS.map((platform) => ({ platform, count: active.get(platform) ?? 0 }));
    return {
      accounts,
      activeDevices: { total: byPlatform.reduce((sum, entry) => sum + entry.count, 0), byPlatform },
      recentThreats: threats.map((event) => ({ event, email: emails.get(event.userId) ?? null })),
      webhook,
    };
  }
}
