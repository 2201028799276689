import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InvalidAccessToken, type AccessPrincipal } from '@app/auth';
import { DeviceRepository } from '@app/persistence';
import { Clock, IS_PUBLIC_KEY } from '@app/platform';

/**
 * The design JWTs are chosen to avoid: after the access token is verified, look the device
 * up in the database on every request (`SELECT … FROM devices WHERE id = ?`, through the
 * project's own repository) and refuse it when it is revoked or past its session's end.
 * Bench only: it runs after the real JwtAuthGuard, so the two apps differ by this query alone.
 */
@Injectable()
export class DeviceLookupGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly devices: DeviceRepository,
    private readonly clock: Clock,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const principal = context.switchToHttp().getRequest<{ user?: AccessPrincipal }>().user;
    // Fails closed if it ever ran before the token guard.
    if (!principal) throw new InvalidAccessToken(false);
    const device = await this.devices.findById(principal.deviceId);
    if (!device || device.revokedAt !== null || device.sessionExpiresAt <= this.clock.now()) {
      throw new InvalidAccessToken(false);
    }
    return true;
  }
}
