import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig, Clock } from '@app/platform';
import {
  DeviceRepository,
  SecurityEventRepository,
  UserRepository,
  type DeviceEntity,
  type DevicePlatform,
  type NewSecurityEvent,
  type UserEntity,
} from '@app/persistence';
import { CurrentPasswordIncorrect, EmailTaken, InvalidCredentials } from './auth.errors.js';
import type { RequestOrigin } from './decorators/request-origin.decorator.js';
import { LoginAttemptLimiter } from './login/login-attempt-limiter.js';
import { PasswordHasher } from './passwords/password-hasher.js';
import { RevocationService, SYSTEM_ACTOR } from './revocation/revocation.service.js';
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
  private readonly logger = new Logger(AuthService.name);

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
    const passwordHash = await this.hasher.hash(password, clientOf(origin));
    const user = { id: randomUUID(), email, passwordHash, createdAt: now, passwordChangedAt: now };
    if (!(await this.users.insertIfEmailFree(user))) throw new EmailTaken();
    await this.events.record({ ...this.eventBase(user.id, origin), type: 'registered' });
    return { id: user.id, email: user.email };
  }

  /**
   * Signs in and creates a device. The attempt is counted before the password is checked
   * (LoginAttemptLimiter). A failure does the same work whether or not the account exists: one
   * count, one verification (against a dummy hash for an unknown email), the same error; the
   * `login_failed` event of an existing account is written after the answer has left.
   */
  async login({ email, password }: Credentials, description: DeviceDescription, origin: RequestOrigin): Promise<TokenResponse> {
    const client = clientOf(origin);
    await this.limiter.count(email, client);
    const user = await this.users.findByEmail(email);
    const valid = user ? await this.hasher.verify(user.passwordHash, password, client) : await this.hasher.verifyNothing(password, client);
    if (!user || !valid) {
      if (user) this.recordAfterAnswer({ ...this.eventBase(user.id, origin), type: 'login_failed' });
      throw new InvalidCredentials();
    }
    await this.limiter.forgive(email, client);
    const device = await this.createDevice(user, description, origin);
    const tokens = await this.refreshTokens.issueFirst(device);
    await this.endIfPasswordChanged(user, device);
    await this.events.record({ ...this.eventBase(user.id, origin), type: 'login', deviceId: device.id, deviceName: device.name, actorDeviceId: device.id });
    return tokens;
  }

  /** Ends the calling device's session. */
  async logout(userId: string, deviceId: string, origin: RequestOrigin): Promise<void> {
    await this.revocation.revoke({ deviceIds: [deviceId] }, 'logout', { kind: 'user', userId, deviceId, ...origin });
  }

  /**
   * Changes the password and signs out every other device of the user. The current-password
   * check is counted like a sign-in (the account's email and the client IP) before it runs.
   */
  async changePassword(userId: string, deviceId: string, currentPassword: string, newPassword: string, origin: RequestOrigin): Promise<void> {
    const client = clientOf(origin);
    const user = await this.users.findById(userId);
    if (!user) throw new CurrentPasswordIncorrect();
    await this.limiter.count(user.email, client);
    if (!(await this.hasher.verify(user.passwordHash, currentPassword, client))) throw new CurrentPasswordIncorrect();
    await this.limiter.forgive(user.email, client);
    const newHash = await this.hasher.hash(newPassword, client);
    // Conditional on the hash that was checked: a concurrent change that won first makes this
    // one's current password wrong.
    if (!(await this.users.replacePasswordHash(userId, user.passwordHash, newHash, this.clock.now()))) throw new CurrentPasswordIncorrect();
    await this.revocation.revoke({ userId, exceptDeviceId: deviceId }, 'password_changed', { kind: 'user', userId, deviceId, ...origin });
    await this.events.record({ ...this.eventBase(userId, origin), type: 'password_changed', actorDeviceId: deviceId });
  }

  private async createDevice(user: UserEntity, description: DeviceDescription, origin: RequestOrigin): Promise<DeviceEntity> {
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
    return device;
  }

  /**
   * API.md: once a password change has answered, no sign-in that checked the old password
   * yields a usable device. A password change first replaces the hash, then revokes the other
   * devices; a sign-in first creates its device, then re-reads the hash here. Each step is one
   * committed statement, so either the change's revocation comes after this device existed
   * (and ends it), or this read comes after the new hash (and ends it here, answering as for a
   * wrong password). No interleaving lets the device through.
   */
  private async endIfPasswordChanged(user: UserEntity, device: DeviceEntity): Promise<void> {
    if (await this.users.hasPasswordHash(user.id, user.passwordHash)) return;
    await this.revocation.revoke({ deviceIds: [device.id] }, 'password_changed', SYSTEM_ACTOR);
    throw new InvalidCredentials();
  }

  /**
   * Writes an event once the answer has been sent, so that the time of a failed sign-in does
   * not tell whether the account exists (an unknown email has no account to record it on).
   */
  private recordAfterAnswer(event: NewSecurityEvent): void {
    setImmediate(() => {
      this.events.record(event).catch((error: unknown) => this.logger.warn(`Could not record a security event: ${(error as Error).message}`));
    });
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

/** Whose turn and whose count a request takes: the client's address. */
function clientOf(origin: RequestOrigin): string {
  return origin.ip ?? 'unknown';
}
