import { Injectable } from '@nestjs/common';
import { Clock } from '@app/platform';
import {
  DeviceRepository,
  RefreshTokenRepository,
  SecurityEventRepository,
  type RevocationReason,
  type RevocationTarget,
  type RevokedDevice,
  type SecurityEventActor,
} from '@app/persistence';
import { RevocationSet } from './revocation-set.js';

/** Who ends a session, from where: recorded in the security event. */
export interface RevocationActor {
  readonly kind: SecurityEventActor;
  readonly userId?: string;
  readonly deviceId?: string;
  readonly ip?: string | null;
  readonly userAgent?: string | null;
}

export const SYSTEM_ACTOR: RevocationActor = { kind: 'system' };

/**
 * The one path that ends device sessions (logout, device delete, revoke-others, password
 * change, RFC 7009 revoke, reuse detection, the dashboard): the devices are marked revoked,
 * their refresh tokens spent, this process's revocation set updated at once (others follow
 * within REVOCATION_SYNC_INTERVAL), and a security event recorded per device.
 */
@Injectable()
export class RevocationService {
  constructor(
    private readonly clock: Clock,
    private readonly devices: DeviceRepository,
    private readonly tokens: RefreshTokenRepository,
    private readonly events: SecurityEventRepository,
    private readonly revocations: RevocationSet,
  ) {}

  async revoke(target: RevocationTarget, reason: RevocationReason, actor: RevocationActor): Promise<RevokedDevice[]> {
    const at = this.clock.now();
    // Marking the device first is what matters: every refresh checks it before rotating.
    const revoked = await this.devices.revoke(target, { reason, revokedBy: actor.userId ?? null });
    if (revoked.length === 0) return revoked;
    const ids = revoked.map((device) => device.id);
    for (const device of revoked) this.revocations.add(device.id, device.revokedAt);
    await this.tokens.spendAllOfDevices(ids, at);
    await this.events.record(
      ...revoked.map((device) => ({
        userId: device.userId,
        type: reason === 'refresh_token_reused' ? ('refresh_token_reused' as const) : ('device_revoked' as const),
        deviceId: device.id,
        deviceName: device.name,
        actor: actor.kind,
        actorUserId: actor.userId ?? null,
        actorDeviceId: actor.deviceId ?? null,
        reason,
        ip: actor.ip ?? null,
        userAgent: actor.userAgent ?? null,
        createdAt: at,
      })),
    );
    return revoked;
  }
}
