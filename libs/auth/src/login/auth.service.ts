import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig, Clock, anonymous, clientAddressOf, SYSTEM_ACTOR, type Actor, type RequestOrigin } from '@app/platform';
import {
  DeviceRepository,
  NothingChanged,
  Transactions,
  UserRepository,
  isUniqueViolation,
  type AccountRole,
  type AuthenticationMethod,
  type DeviceEntity,
  type AttemptedMfaChallenge,
  type BoundStatement,
  type DevicePlatform,
  type SessionClient,
  type UserEntity,
} from '@app/persistence';
import {
  CurrentPasswordIncorrect,
  EmailNotVerified,
  EmailTaken,
  InvalidCredentials,
  InvalidSecondFactor,
  MfaRequired,
  MfaTokenInvalid,
} from '../auth.errors.js';
import { ActionLimiter, SECOND_FACTOR_ACTION, SECOND_FACTOR_LIMIT, VERIFICATION_MAIL_LIMIT } from './action-limiter.js';
import { MfaChallenges } from '../mfa/mfa-challenges.js';
import { SecondFactor, type SecondFactorMethod } from '../mfa/second-factor.js';
import { clientNetworkOf } from '../dpop/client-network.js';
import type { VerifiedDpopProof } from '../dpop/dpop-proof.verifier.js';
import type { DpopRequest } from '../dpop/dpop-request.js';
import { DpopService } from '../dpop/dpop.service.js';
import { SecurityEventRecorder } from '@app/security-events';
import { AccountMails } from '@app/mail';
import { LoginAttemptLimiter } from './login-attempt-limiter.js';
import { AuthMetrics } from '../metrics/auth-metrics.js';
import { PasswordHasher } from '../passwords/password-hasher.js';
import { RevocationService } from '../revocation/revocation.service.js';
import { RefreshTokenService } from '../tokens/refresh-token.service.js';
import type { TokenResponse } from '../tokens/token-response.js';

export interface Credentials {
  readonly email: string;
  readonly password: string;
}

export interface DeviceDescription {
  readonly name: string;
  readonly platform?: DevicePlatform;
}

/** The account behind a session that is still active (the dashboard shows and authorizes by it). */
export interface ActiveAccount {
  readonly userId: string;
  readonly email: string;
  readonly role: AccountRole;
}

/** The second step of a sign-in: the `mfaToken` of its `mfa_required` answer and a code. */
export interface SecondFactorProof {
  readonly mfaToken: string;
  readonly code: string;
}

/** RFC 8176: a password and a one-time code, two factors. */
const PASSWORD_AND_OTP = 'pwd,otp,mfa';

/** An API sign-in that carries no `DPoP` header. */
const WITHOUT_PROOF: DpopRequest = { proof: undefined, method: 'POST', path: '/auth/login', origin: '' };

@Injectable()
export class AuthService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly users: UserRepository,
    private readonly devices: DeviceRepository,
    private readonly events: SecurityEventRecorder,
    private readonly hasher: PasswordHasher,
    private readonly limiter: LoginAttemptLimiter,
    private readonly refreshTokens: RefreshTokenService,
    private readonly revocation: RevocationService,
    private readonly dpop: DpopService,
    private readonly metrics: AuthMetrics,
    private readonly transactions: Transactions,
    private readonly mails: AccountMails,
    private readonly actions: ActionLimiter,
    private readonly secondFactor: SecondFactor,
    private readonly challenges: MfaChallenges,
  ) {}

  /**
   * Creates the account and, in the same transaction, queues the mail with its verification
   * link (API.md § Accounts): the account never exists without its mail on the way.
   */
  async register({ email, password }: Credentials, origin: RequestOrigin): Promise<{ id: string; email: string }> {
    const now = this.clock.now();
    const passwordHash = await this.hasher.hash(password, clientAddressOf(origin));
    const user = { id: randomUUID(), email, passwordHash, createdAt: now, passwordChangedAt: now };
    try {
      await this.transactions.run([this.users.insertStatement(user), ...this.mails.verifyEmail(user, now)]);
    } catch (error) {
      if (isUniqueViolation(error)) throw new EmailTaken();
      throw error;
    }
    await this.events.record(anonymous(origin), { type: 'registered', userId: user.id });
    return { id: user.id, email: user.email };
  }

  /**
   * Signs in and creates a device. The attempt is counted before the password is checked
   * (LoginAttemptLimiter). A failure does the same work whether or not the account exists: one
   * count, one verification (against a dummy hash for an unknown email), the same error; the
   * `login_failed` event of an existing account is written after the answer has left.
   */
  async login(
    credentials: Credentials,
    description: DeviceDescription,
    origin: RequestOrigin,
    dpop: DpopRequest = WITHOUT_PROOF,
  ): Promise<TokenResponse> {
    return this.measured(this.signIn(credentials, description, origin, 'api', dpop));
  }

  /**
   * Signs in to the dashboard: a `web` device like any other, whose tokens only the dashboard
   * accepts (their own audience; no DPoP: the browser keeps them in HttpOnly cookies).
   */
  async loginToDashboard(credentials: Credentials, description: DeviceDescription, origin: RequestOrigin): Promise<TokenResponse> {
    return this.measured(this.signIn(credentials, description, origin, 'dashboard', null));
  }

  private async measured(signIn: Promise<TokenResponse>): Promise<TokenResponse> {
    try {
      const tokens = await signIn;
      this.metrics.signIn();
      return tokens;
    } catch (error) {
      this.metrics.signIn(error);
      throw error;
    }
  }

  private async signIn(
    { email, password }: Credentials,
    description: DeviceDescription,
    origin: RequestOrigin,
    sessionClient: SessionClient,
    dpop: DpopRequest | null,
  ): Promise<TokenResponse> {
    const proof = await this.checkedProof(dpop);
    const client = clientAddressOf(origin);
    await this.limiter.count(email, client);
    // Remembered only now, once the attempt is counted (a refused one fills no replay cache), and
    // on the client network's share: at sign-in any key will do, so keys are no owners.
    if (proof) this.dpop.remember(proof, `signin:${clientNetworkOf(client)}`);
    const user = await this.users.findByEmail(email);
    const valid = user ? await this.hasher.verify(user.passwordHash, password, client) : await this.hasher.verifyNothing(password, client);
    if (!user || !valid) {
      if (user) this.events.recordAfterAnswer(anonymous(origin), { type: 'login_failed', userId: user.id });
      throw new InvalidCredentials();
    }
    await this.limiter.forgive(email, client);
    if (this.config.accounts.requireEmailVerification && user.emailVerifiedAt === null) await this.refuseUnverified(user);
    // API.md § Strong authentication: with TOTP on, the right password creates no device yet;
    // the sign-in waits, in the database, for its second factor (POST /auth/login/mfa).
    if (await this.secondFactor.isEnabled(user.id)) {
      const platform = description.platform ?? 'other';
      throw new MfaRequired(await this.challenges.issue(user.id, { name: description.name, platform }, sessionClient));
    }
    const device = await this.createDevice(user, description, origin, proof?.jkt ?? null, sessionClient, 'pwd');
    return this.finishSignIn(user, device, origin);
  }

  /**
   * POST /auth/login/mfa: finishes a sign-in that answered `mfa_required`, with a TOTP code or a
   * recovery code, and creates its device exactly as /auth/login would have (a `DPoP` proof here
   * binds it). Counted twice before the code is checked, each by one atomic statement: on the
   * `mfaToken` (5 codes, then it is ended) and on the account (SECOND_FACTOR_LIMIT, 429 past it),
   * so no parallel burst gets more checks than that. The challenge is spent in the device's own
   * transaction: of two finishes with right codes, one creates a device.
   */
  async loginWithSecondFactor(
    proofOfSecondFactor: SecondFactorProof,
    origin: RequestOrigin,
    dpop: DpopRequest = WITHOUT_PROOF,
  ): Promise<TokenResponse> {
    return this.measured(this.finishWithSecondFactor(proofOfSecondFactor, origin, dpop, 'api'));
  }

  /** The dashboard's second-factor step: finishes only a sign-in the dashboard began (no DPoP: cookies). */
  async loginToDashboardWithSecondFactor(proofOfSecondFactor: SecondFactorProof, origin: RequestOrigin): Promise<TokenResponse> {
    return this.measured(this.finishWithSecondFactor(proofOfSecondFactor, origin, null, 'dashboard'));
  }

  private async finishWithSecondFactor(
    { mfaToken, code }: SecondFactorProof,
    origin: RequestOrigin,
    dpop: DpopRequest | null,
    sessionClient: SessionClient,
  ): Promise<TokenResponse> {
    const proof = await this.checkedProof(dpop);
    const challenge = await this.challenges.attempt(mfaToken);
    // A sign-in is finished by the client that began it: the API's with the API's proof, the
    // dashboard's in the browser that holds its cookies.
    if (!challenge || challenge.sessionClient !== sessionClient) throw new MfaTokenInvalid();
    await this.actions.count(SECOND_FACTOR_ACTION, [challenge.userId], SECOND_FACTOR_LIMIT);
    if (proof) this.dpop.remember(proof, `signin:${clientNetworkOf(clientAddressOf(origin))}`);
    const user = await this.users.findById(challenge.userId);
    // A password changed since the password was checked ends the sign-in (as in endIfPasswordChanged).
    if (!user || user.deletedAt !== null || user.passwordChangedAt > challenge.createdAt) throw new MfaTokenInvalid();
    const method = await this.secondFactor.verify(user.id, code);
    if (method === null) {
      this.events.recordAfterAnswer(anonymous(origin), { type: 'login_failed', userId: user.id, reason: 'second_factor' });
      throw new InvalidSecondFactor();
    }
    await this.actions.forgive(SECOND_FACTOR_ACTION, [user.id]);
    const device = await this.createDeviceForChallenge(user, challenge, origin, proof?.jkt ?? null);
    if (method === 'recovery_code') await this.events.record(anonymous(origin), { type: 'recovery_code_used', userId: user.id, device });
    return this.finishSignIn(user, device, origin);
  }

  private async createDeviceForChallenge(
    user: UserEntity,
    challenge: AttemptedMfaChallenge,
    origin: RequestOrigin,
    jkt: string | null,
  ): Promise<DeviceEntity> {
    const description: DeviceDescription = { name: challenge.deviceName, platform: challenge.devicePlatform as DevicePlatform };
    const client = challenge.sessionClient === 'dashboard' ? 'dashboard' : 'api';
    try {
      return await this.createDevice(user, description, origin, jkt, client, PASSWORD_AND_OTP, [this.challenges.spendStatement(challenge)]);
    } catch (error) {
      if (error instanceof NothingChanged) throw new MfaTokenInvalid();
      throw error;
    }
  }

  /** The end of every sign-in, once its device exists: the device cap, the first tokens, the event. */
  private async finishSignIn(user: UserEntity, device: DeviceEntity, origin: RequestOrigin): Promise<TokenResponse> {
    await this.enforceDeviceCap(user, device);
    const tokens = await this.refreshTokens.issueFirst(device);
    await this.endIfPasswordChanged(user, device);
    await this.events.record(anonymous(origin), { type: 'login', userId: user.id, device });
    return tokens;
  }

  /**
   * Signs in with an authenticator that names and proves the user by itself (a passkey,
   * API.md § Strong authentication) and creates a device exactly as a password sign-in does:
   * the same DPoP binding, device cap, new-device mail and `login` event. The attempt is
   * counted on the client IP's sign-in window before `authenticate` runs; `authenticate`
   * answers the account it proved, or throws (then nothing is created). The dashboard signs in
   * its cookie sessions this way too (`sessionClient` `dashboard`, `dpop` null).
   */
  async loginWithAuthenticator(
    authenticate: () => Promise<UserEntity>,
    amr: readonly AuthenticationMethod[],
    description: DeviceDescription,
    origin: RequestOrigin,
    dpop: DpopRequest | null,
    sessionClient: SessionClient = 'api',
  ): Promise<TokenResponse> {
    return this.measured(
      (async () => {
        const proof = await this.checkedProof(dpop);
        const client = clientAddressOf(origin);
        await this.limiter.countAddress(client);
        if (proof) this.dpop.remember(proof, `signin:${clientNetworkOf(client)}`);
        const user = await authenticate();
        await this.limiter.forgiveAddress(client);
        if (this.config.accounts.requireEmailVerification && user.emailVerifiedAt === null) await this.refuseUnverified(user);
        const device = await this.createDevice(user, description, origin, proof?.jkt ?? null, sessionClient, amr.join(','));
        await this.enforceDeviceCap(user, device);
        const tokens = await this.refreshTokens.issueFirst(device);
        await this.events.record(anonymous(origin), { type: 'login', userId: user.id, device });
        return tokens;
      })(),
    );
  }

  /**
   * POST /auth/reauthenticate: the password again, on the calling device (RFC 9470 step-up), and
   * the second factor's code when the account has TOTP on. The password check is counted like a
   * sign-in before it runs, the code like a sign-in's code (per account, before the check); a
   * wrong or missing code leaves the password's attempt counted as a failure. Right credentials
   * move the device's `auth_time` (and `amr`) and answer new tokens for the same device (its
   * refresh token rotates).
   */
  async reauthenticate(actor: Actor, password: string, code?: string): Promise<TokenResponse> {
    const client = clientAddressOf(actor);
    const user = await this.users.findById(actor.userId);
    if (!user || user.deletedAt !== null) throw new InvalidCredentials();
    await this.limiter.count(user.email, client);
    if (!(await this.hasher.verify(user.passwordHash, password, client))) {
      this.events.recordAfterAnswer(actor, { type: 'login_failed', userId: user.id });
      throw new InvalidCredentials();
    }
    let amr = 'pwd';
    if (await this.secondFactor.isEnabled(user.id)) {
      const method = await this.checkCode(actor, user.id, code);
      if (method === 'recovery_code') await this.events.record(actor, { type: 'recovery_code_used', userId: user.id });
      amr = PASSWORD_AND_OTP;
    }
    await this.limiter.forgive(user.email, client);
    return this.authenticatedAgain(actor, amr);
  }

  /**
   * POST /auth/reauthenticate with an authenticator that proves the user by itself (a passkey
   * assertion): counted on the client IP's sign-in window before `authenticate` runs, like a
   * passkey sign-in; the account it proves must be the caller's.
   */
  async reauthenticateWithAuthenticator(
    actor: Actor,
    authenticate: () => Promise<UserEntity>,
    amr: readonly AuthenticationMethod[],
  ): Promise<TokenResponse> {
    const client = clientAddressOf(actor);
    await this.limiter.countAddress(client);
    const user = await authenticate();
    if (user.id !== actor.userId) {
      this.events.recordAfterAnswer(actor, { type: 'login_failed', userId: actor.userId });
      throw new InvalidCredentials();
    }
    await this.limiter.forgiveAddress(client);
    return this.authenticatedAgain(actor, amr.join(','));
  }

  /** The calling device's fresh `auth_time` and `amr`, its event, and new tokens (the refresh token rotates). */
  private async authenticatedAgain(actor: Actor, amr: string): Promise<TokenResponse> {
    const device = await this.devices.markAuthenticated(actor.deviceId, actor.userId, this.clock.now(), amr);
    if (!device) throw new InvalidCredentials();
    const tokens = await this.refreshTokens.reissue(device);
    await this.events.record(actor, { type: 'reauthenticated', userId: actor.userId, device });
    return tokens;
  }

  /** A re-authentication's second factor: required, counted per account before the check, spent when right. */
  private async checkCode(actor: Actor, userId: string, code: string | undefined): Promise<SecondFactorMethod> {
    if (code === undefined || code.trim() === '') {
      this.events.recordAfterAnswer(actor, { type: 'login_failed', userId, reason: 'second_factor' });
      throw new InvalidSecondFactor(
        'This account has two-step verification: send the code from the authenticator app (or a recovery code) too.',
      );
    }
    await this.actions.count(SECOND_FACTOR_ACTION, [userId], SECOND_FACTOR_LIMIT);
    const method = await this.secondFactor.verify(userId, code);
    if (method === null) {
      this.events.recordAfterAnswer(actor, { type: 'login_failed', userId, reason: 'second_factor' });
      throw new InvalidSecondFactor();
    }
    await this.actions.forgive(SECOND_FACTOR_ACTION, [userId]);
    return method;
  }

  /** Ends the calling device's session. */
  async logout(actor: Actor): Promise<void> {
    await this.revocation.revoke({ deviceIds: [actor.deviceId] }, 'logout', actor);
  }

  /** The account of a session whose device is still active and unexpired; null otherwise. */
  async activeAccount(userId: string, deviceId: string): Promise<ActiveAccount | null> {
    const device = await this.devices.findActive(userId, deviceId);
    const user = device && device.sessionExpiresAt > this.clock.now() ? await this.users.findById(userId) : null;
    return user ? { userId: user.id, email: user.email, role: user.role } : null;
  }

  /**
   * Changes the password and signs out every other device of the user. The current-password
   * check is counted like a sign-in (the account's email and the client IP) before it runs.
   */
  async changePassword(actor: Actor, currentPassword: string, newPassword: string): Promise<void> {
    const client = clientAddressOf(actor);
    const user = await this.users.findById(actor.userId);
    if (!user) throw new CurrentPasswordIncorrect();
    await this.limiter.count(user.email, client);
    if (!(await this.hasher.verify(user.passwordHash, currentPassword, client))) throw new CurrentPasswordIncorrect();
    await this.limiter.forgive(user.email, client);
    const newHash = await this.hasher.hash(newPassword, client);
    // Conditional on the hash that was checked: a concurrent change that won first makes this
    // one's current password wrong.
    if (!(await this.users.replacePasswordHash(user.id, user.passwordHash, newHash, this.clock.now())))
      throw new CurrentPasswordIncorrect();
    await this.revocation.revoke({ userId: user.id, exceptDeviceId: actor.deviceId }, 'password_changed', actor);
    await this.events.record(actor, { type: 'password_changed', userId: user.id });
  }

  /**
   * The proof whose key a sign-in binds its device to (API.md § Device-bound tokens), checked
   * before the attempt is counted so that a bad proof costs no attempt: none without a proof,
   * or a refusal when DPOP_REQUIRED. `dpop` is null for the dashboard's cookie sessions, to which
   * DPOP_REQUIRED does not apply.
   */
  private async checkedProof(dpop: DpopRequest | null): Promise<VerifiedDpopProof | null> {
    if (dpop?.proof !== undefined) return this.dpop.check(dpop);
    if (dpop && this.config.dpop.required)
      throw this.dpop.refusal('Sign-in needs a DPoP proof (DPOP_REQUIRED): bind the session to a key.');
    return null;
  }

  private async createDevice(
    user: UserEntity,
    description: DeviceDescription,
    origin: RequestOrigin,
    jkt: string | null,
    client: SessionClient,
    amr: string,
    together: readonly BoundStatement[] = [],
  ): Promise<DeviceEntity> {
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
      jkt,
      client,
      authTime: now,
      amr,
    };
    // API.md § Accounts: a sign-in on an account that already has an active device is mailed to
    // the account, queued in the device's own transaction.
    const alert =
      this.config.accounts.newDeviceAlerts && (await this.devices.countActive(user.id, now)) > 0
        ? this.mails.newDevice(user, { deviceName: device.name, platform: device.platform, at: now, ip: device.ip })
        : [];
    await this.transactions.run([...together, this.devices.insertStatement(device), ...alert]);
    return device;
  }

  /**
   * REQUIRE_EMAIL_VERIFICATION: the password was right, the address is not verified. A new link
   * is mailed (at most one a minute per account, counted first), and the sign-in refused.
   */
  private async refuseUnverified(user: UserEntity): Promise<never> {
    if (await this.actions.allows('verification-mail', [user.id], VERIFICATION_MAIL_LIMIT)) {
      await this.transactions.run(this.mails.verifyEmail(user, this.clock.now()));
    }
    throw new EmailNotVerified();
  }

  /** MAX_DEVICES_PER_USER: past the cap, the least recently active devices end (reason `device_limit`). */
  private async enforceDeviceCap(user: UserEntity, device: DeviceEntity): Promise<void> {
    const cap = this.config.accounts.maxDevicesPerUser;
    if (cap === 0) return;
    const beyond = await this.devices.findBeyondMostRecent(user.id, cap, this.clock.now());
    const oldest = beyond.filter((id) => id !== device.id);
    if (oldest.length > 0) await this.revocation.revoke({ deviceIds: oldest }, 'device_limit', SYSTEM_ACTOR);
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
}
