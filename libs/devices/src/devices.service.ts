import { Injectable } from '@nestjs/common';
import { Clock } from '@app/platform';
import { DeviceRepository, SecurityEventRepository, type DeviceEntity } from '@app/persistence';
import { RevocationService, type RevocationActor } from '@app/auth';
import { DeviceNotFound } from './device-not-found.error.js';

/** A user's devices: list, rename, revoke. Revocation itself is auth's one path. */
@Injectable()
export class DevicesService {
  constructor(
    private readonly clock: Clock,
    private readonly devices: DeviceRepository,
    private readonly events: SecurityEventRepository,
    private readonly revocation: RevocationService,
  ) {}

  /** Active devices, most recent activity first. */
  list(userId: string): Promise<DeviceEntity[]> {
    return this.devices.listActive(userId, this.clock.now());
  }

  async rename(userId: string, deviceId: string, name: string, actor: RevocationActor): Promise<DeviceEntity> {
    const device = await this.devices.findActive(userId, deviceId);
    if (!device || !(await this.devices.rename(userId, deviceId, name))) throw new DeviceNotFound();
    await this.events.record({
      userId,
      type: 'device_renamed',
      deviceId,
      deviceName: name,
      actor: actor.kind,
      actorUserId: actor.userId ?? null,
      actorDeviceId: actor.deviceId ?? null,
      reason: null,
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      createdAt: this.clock.now(),
    });
    return { ...device, name };
  }

  /** Revokes one of the user's devices (their own current one included: that is a logout). */
  async revoke(userId: string, deviceId: string, actor: RevocationActor): Promise<void> {
    const device = await this.devices.findActive(userId, deviceId);
    if (!device) throw new DeviceNotFound();
    const reason = deviceId === actor.deviceId ? 'logout' : actor.kind === 'operator' ? 'operator' : 'revoked';
    await this.revocation.revoke({ deviceIds: [deviceId] }, reason, actor);
  }

  /** Revokes every active device of the user but `keepDeviceId`, in one statement. */
  async revokeOthers(userId: string, keepDeviceId: string, actor: RevocationActor): Promise<number> {
    const revoked = await this.revocation.revoke({ userId, exceptDeviceId: keepDeviceId }, 'revoked_others', actor);
    return revoked.length;
  }
}
