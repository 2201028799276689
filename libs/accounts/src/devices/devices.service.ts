import { Injectable } from '@nestjs/common';
import { Clock, type Actor } from '@app/platform';
import { DeviceRepository, type DeviceEntity } from '@app/persistence';
import { RevocationService } from '@app/auth';
import { SecurityEventRecorder } from '@app/security-events';
import { DeviceNotFound } from '../device-not-found.error.js';
import { isOwner, mayInspectAccount, mayRevoke, revocationReason } from '../account-policy.js';

/**
 * Devices as an actor may see and change them: list, look at one, rename, revoke. Every method
 * decides by account-policy.ts whether the actor may, and answers DeviceNotFound otherwise,
 * exactly as for a device that does not exist. Revocation itself is auth's one path.
 */
@Injectable()
export class DevicesService {
  constructor(
    private readonly clock: Clock,
    private readonly devices: DeviceRepository,
    private readonly events: SecurityEventRecorder,
    private readonly revocation: RevocationService,
  ) {}

  /** The active devices of `userId` (the actor's own by default), most recent activity first. */
  async list(actor: Actor, userId = actor.userId): Promise<DeviceEntity[]> {
    if (!mayInspectAccount(actor, userId)) throw new DeviceNotFound();
    return this.devices.listActive(userId, this.clock.now());
  }

  /** One active device the actor may revoke (for a confirmation page). */
  async findRevocable(actor: Actor, deviceId: string): Promise<DeviceEntity> {
    const device = await this.devices.findActiveById(deviceId);
    if (!device || !mayRevoke(actor, device)) throw new DeviceNotFound();
    return device;
  }

  async rename(actor: Actor, deviceId: string, name: string): Promise<DeviceEntity> {
    const device = await this.devices.findActiveById(deviceId);
    if (!device || !isOwner(actor, device) || !(await this.devices.rename(device.userId, deviceId, name))) throw new DeviceNotFound();
    await this.events.record(actor, { type: 'device_renamed', userId: device.userId, device: { id: deviceId, name } });
    return { ...device, name };
  }

  /** Revokes one device: the actor's own (a logout), another of theirs, or, for an operator, anybody's. */
  async revoke(actor: Actor, deviceId: string): Promise<void> {
    const device = await this.findRevocable(actor, deviceId);
    await this.revocation.revoke({ deviceIds: [device.id] }, revocationReason(actor, device), actor);
  }

  /** Revokes every active device of the actor's account but the one it acts from, in one statement. */
  async revokeOthers(actor: Actor): Promise<number> {
    const revoked = await this.revocation.revoke({ userId: actor.userId, exceptDeviceId: actor.deviceId }, 'revoked_others', actor);
    return revoked.length;
  }
}
