import { Injectable } from '@nestjs/common';
import { Clock, type AnyActor } from '@app/platform';
import {
  DeviceRepository,
  RefreshTokenRepository,
  type RevocationReason,
  type RevocationTarget,
  type RevokedDevice,
} from '@app/persistence';
import { SecurityEventRecorder } from '@app/security-events';
import { RevocationMetrics } from './revocation-metrics.js';
import { RevocationSet } from './revocation-set.js';

/**
 * The one path that ends device sessions (logout, device delete, revoke-others, password
 * change, RFC 7009 revoke, reuse detection, the dashboard): the devices are marked revoked,
 * their refresh tokens spent, this process's revocation set updated at once (others follow
 * within REVOCATION_SYNC_INTERVAL), and a security event recorded per device. Whether the
 * actor may do it is decided by the caller's service (DevicesService, AuthService).
 */
@Injectable()
export class RevocationService {
  constructor(
    private readonly clock: Clock,
    private readonly devices: DeviceRepository,
    private readonly tokens: RefreshTokenRepository,
    private readonly events: SecurityEventRecorder,
    private readonly revocations: RevocationSet,
    private readonly metrics: RevocationMetrics,
  ) {}

  async revoke(target: RevocationTarget, reason: RevocationReason, by: AnyActor): Promise<RevokedDevice[]> {
    // Marking the device first is what matters: every refresh checks it before rotating.
    const revoked = await this.devices.revoke(target, { reason, revokedBy: by.kind === 'account' ? by.userId : null });
    if (revoked.length === 0) return revoked;
    for (const device of revoked) this.revocations.add(device.id, device.revokedAt);
    this.metrics.revoked(reason, revoked.length);
    await this.tokens.spendAllOfDevices(
      revoked.map((device) => device.id),
      this.clock.now(),
    );
    const type = reason === 'refresh_token_reused' ? 'refresh_token_reused' : 'device_revoked';
    await this.events.record(by, ...revoked.map((device) => ({ type, userId: device.userId, device, reason }) as const));
    return revoked;
  }
}
