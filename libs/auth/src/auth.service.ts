import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig, Clock } from '@app/platform';
import { DeviceRepository, SecurityEventRepository, UserRepository, type DeviceEntity, type DevicePlatform } from '@app/persistence';
import { CurrentPasswordIncorrect, EmailTaken, InvalidCredentials } from './auth.errors.js';
import type { RequestOrigin } from './decorators/request-origin.decorator.js';
import { LoginAttemptLimiter } from './login/login-attempt-limiter.js';
import { PasswordHasher } from './passwords/password-hasher.js';
import { RevocationService } from './revocation/revocation.service.js';
import { RefreshTokenService } from './tokens/refresh-token.service.js';
import type { TokenResponse } from './tokens/token-response.js';

export interface Credentials {
  readonly email: string;
  readonly password: string;
}

export interface DeviceDescription {
  readonly name: string;
  readonly platform?: DevicePlatform;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly users: UserRepository,
    private readonly devices: DeviceRepository,
    private readonly events: SecurityEventRepository,
    private readonly hasher: PasswordHasher,
    private readonly limiter: LoginAttemptLimiter,
    private readonly refreshTokens: RefreshTokenService,
    private readonly revocation: RevocationService,
  ) {}

  async register({ email, password }: Credentials, origin: RequestOrigin): Promise<{ id: string; email: string }> {
    const now = this.clock.now();
    const user = { id: randomUUID(), email, passwordHash: await this.hasher.hash(password), createdAt: now, passwordChangedAt: now };
    if (!(await this.users.insertIfEmailFree(user))) throw new EmailTaken();
    await this.events.record({ ...this.eventBase(user.id, origin), type: 'registered' });
    return { id: user.id, email: user.email };
  }

  /**
   * Signs in and creates a device. An unknown email costs a password verification too, and
   * both failures throw the same error, so the answer does not tell whether the account exists.
   */
  async login({ email, password }: Credentials, description: DeviceDescription, origin: RequestOrigin): Promise<TokenResponse> {
    const ip = origin.ip ?? 'unknown';
    await this.limiter.assertAllowed(email, ip);
    const user = await this.users.findByEmail(email);
    const valid = user ? await this.hasher.verify(user.passwordHash, password) : await this.hasher.verifyNothing(password);
    if (!user || !valid) {
      await this.limiter.recordFailure(email, ip);
      if (user) await this.events.record({ ...this.eventBase(user.id, origin), type: 'login_failed' });
      throw new InvalidCredentials();
    }
    await this.limiter.recordSuccess(email);

    const now = this.clock.now();
    const device: DeviceEntity = {
      id: randomUUID(),
      userId: user.id,
      name: description.name,
      platform: description.platform ?? 'other',
      userAgent: origin.userAgent,
      ip: origin.ip,
      createdAt: now,
      lastSeenAt: now,
      sessionExpiresAt: now + this.config.sessionMaxAge * 1000,
      revokedAt: null,
      revokedReason: null,
      revokedBy: null,
    };
    await this.devices.insert(device);
    const tokens = await this.refreshTokens.issueFirst(device);
    await this.events.record({ ...this.eventBase(user.id, origin), type: 'login', deviceId: device.id, deviceName: device.name, actorDeviceId: device.id });
    return tokens;
  }

  /** Ends the calling device's session. */
  async logout(userId: string, deviceId: string, origin: RequestOrigin): Promise<void> {
    await this.revocation.revoke({ deviceIds: [deviceId] }, 'logout', { kind: 'user', userId, deviceId, ...origin });
  }

  /** Changes the password and signs out every other device of the user. */
  async changePassword(userId: string, deviceId: string, currentPassword: string, newPassword: string, origin: RequestOrigin): Promise<void> {
    const user = await this.users.findById(userId);
    const ip = origin.ip ?? 'unknown';
    if (user) await this.limiter.assertAllowed(user.email, ip);
    if (!user || !(await this.hasher.verify(user.passwordHash, currentPassword))) {
      if (user) await this.limiter.recordFailure(user.email, ip);
      throw new CurrentPasswordIncorrect();
    }
    const now = this.clock.now();
    await this.users.updatePasswordHash(userId, await this.hasher.hash(newPassword), now);
    await this.revocation.revoke({ userId, exceptDeviceId: deviceId }, 'password_changed', { kind: 'user', userId, deviceId, ...origin });
    await this.events.record({ ...this.eventBase(userId, origin), type: 'password_changed', actorDeviceId: deviceId });
  }

  private eventBase(userId: string, origin: RequestOrigin) {
    return {
      userId,
      deviceId: null,
      deviceName: null,
      actor: 'user' as const,
      actorUserId: userId,
      actorDeviceId: null,
      reason: null,
      ip: origin.ip,
      userAgent: origin.userAgent,
      createdAt: this.clock.now(),
    };
  }
}
