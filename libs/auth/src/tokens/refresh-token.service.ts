import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig, Clock } from '@app/platform';
import {
  DeviceRepository,
  RefreshTokenRepository,
  type DeviceEntity,
  type RefreshTokenEntity,
  type RevocationReason,
} from '@app/persistence';
import { RefreshTokenRejected, RefreshTokenReused, type SessionEndReason } from '../auth.errors.js';
import { anonymous, SYSTEM_ACTOR, type RequestOrigin } from '../actor/actor.js';
import type { DpopRequest } from '../dpop/dpop-request.js';
import { DpopProofInvalid } from '../dpop/dpop.errors.js';
import { DpopService } from '../dpop/dpop.service.js';
import { SecurityEventRecorder } from '../events/security-event.recorder.js';
import { RevocationService } from '../revocation/revocation.service.js';
import { AccessTokenService } from './access-token.service.js';
import { generateRefreshToken, hashRefreshToken, isWellFormedRefreshToken, openSuccessor, sealSuccessor } from './refresh-token-secret.js';
import type { TokenResponse } from './token-response.js';

const INVALID = 'The refresh token is invalid, expired or revoked.';
const NO_ORIGIN: RequestOrigin = { ip: null, userAgent: null };

/** API.md's `reason` for a revoked device: its revocation's reason, in the client's words. */
function endReasonOf(reason: RevocationReason | null): SessionEndReason {
  if (reason === 'password_changed') return 'password_changed';
  if (reason === 'refresh_token_reused') return 'reused';
  return 'revoked';
}

/**
 * The grace rule (API.md, reuse detection): a spent token is a retry, not theft, only while
 * it is the immediate parent of the device's live token (its successor is unspent) and was
 * rotated at most `graceMs` ago. An older ancestor's successor is spent; a revoked device's
 * tokens are all spent.
 */
export function isGraceRetry(
  spent: Pick<RefreshTokenEntity, 'rotatedAt'>,
  successor: Pick<RefreshTokenEntity, 'rotatedAt'>,
  now: number,
  graceMs: number,
): boolean {
  return spent.rotatedAt !== null && now - spent.rotatedAt <= graceMs && successor.rotatedAt === null;
}

/**
 * Refresh tokens: issue, rotate on every use, and treat a spent token that comes back as
 * theft. A device has at most one live token; the grace period forgives only a retry of the
 * token that the live one replaced, and answers it with that same live token.
 */
@Injectable()
export class RefreshTokenService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly accessTokens: AccessTokenService,
    private readonly tokens: RefreshTokenRepository,
    private readonly devices: DeviceRepository,
    private readonly revocation: RevocationService,
    private readonly dpop: DpopService,
    private readonly events: SecurityEventRecorder,
  ) {}

  /** The first token pair of a device that just signed in. */
  async issueFirst(device: DeviceEntity): Promise<TokenResponse> {
    const secret = generateRefreshToken();
    const token = this.newToken(device, secret);
    await this.tokens.insert(token);
    return this.respond(device, secret, token.expiresAt);
  }

  /**
   * Rotates a refresh token. `dpop` is the request's proof, if any (null: a caller that never
   * has one, the dashboard): a key-bound device needs a proof by its key, checked before
   * anything is spent (RFC 9449 §5); an unbound device whose refresh carries a valid proof
   * becomes bound from then on.
   */
  async refresh(presented: string, dpop: DpopRequest | null = null, origin: RequestOrigin = NO_ORIGIN): Promise<TokenResponse> {
    if (!isWellFormedRefreshToken(presented)) throw new RefreshTokenRejected(INVALID, 'invalid');
    const hash = hashRefreshToken(presented);
    const found = await this.tokens.findWithDevice(hash);
    if (!found) throw new RefreshTokenRejected(INVALID, 'invalid');
    let { token, device } = found;
    const now = this.clock.now();
    if (device.revokedAt !== null) throw new RefreshTokenRejected(INVALID, endReasonOf(device.revokedReason));
    if (device.sessionExpiresAt <= now) {
      throw new RefreshTokenRejected('The device session reached its maximum age; sign in again.', 'session_expired');
    }
    device = await this.proveKey(device, dpop, origin);

    if (token.rotatedAt === null) {
      if (token.expiresAt <= now) throw new RefreshTokenRejected(INVALID, 'expired');
      // One atomic step spends the token and inserts its successor; of concurrent requests
      // exactly one wins, and the others take the grace path below with the winner's token.
      const secret = generateRefreshToken();
      const successor = this.newToken(device, secret);
      if (await this.tokens.rotate({ tokenId: token.id, successor, sealedSuccessor: sealSuccessor(presented, secret), at: now })) {
        return this.respond(device, secret, successor.expiresAt);
      }
      // Lost a race: to another refresh of this token (the grace path below), or to a
      // revocation of the device (then the answer says why, as for any revoked device).
      const current = (await this.tokens.findWithDevice(hash))!;
      if (current.device.revokedAt !== null) throw new RefreshTokenRejected(INVALID, endReasonOf(current.device.revokedReason));
      token = current.token;
    }
    return this.answerSpentToken(token, presented, device, now);
  }

  /**
   * A spent token: forgiven only if it is the immediate parent of the device's live token,
   * rotated less than REFRESH_REUSE_GRACE ago (isGraceRetry); then the caller gets that live
   * token back. Anything else is theft: the device is revoked and the request refused.
   */
  private async answerSpentToken(token: RefreshTokenEntity, presented: string, device: DeviceEntity, now: number): Promise<TokenResponse> {
    const successor = token.replacedById ? await this.tokens.findById(token.replacedById) : null;
    const secret = token.sealedSuccessor ? openSuccessor(presented, token.sealedSuccessor) : null;
    if (successor && secret !== null && isGraceRetry(token, successor, now, this.config.refreshReuseGrace * 1000)) {
      return this.respond(device, secret, successor.expiresAt);
    }
    await this.revocation.revoke({ deviceIds: [device.id] }, 'refresh_token_reused', SYSTEM_ACTOR);
    throw new RefreshTokenReused();
  }

  /**
   * A bound device's refresh must carry a valid proof by its key; a thief with the refresh token
   * but not the key can neither refresh nor, by a spent token, sign the owner out: nothing is
   * spent or revoked, and `dpop_proof_rejected` is recorded. An unbound device is bound by a
   * valid proof (the first one wins if two race).
   */
  private async proveKey(device: DeviceEntity, dpop: DpopRequest | null, origin: RequestOrigin): Promise<DeviceEntity> {
    if (device.jkt === null && dpop?.proof === undefined) return device;
    let jkt: string;
    try {
      if (dpop?.proof === undefined) throw this.dpop.refusal('This device is bound to a key: the refresh needs a DPoP proof made with it.');
      jkt = await this.dpop.verify(dpop);
      if (device.jkt !== null && jkt !== device.jkt)
        throw this.dpop.refusal('The DPoP proof was made with another key than this device is bound to.');
    } catch (error) {
      // A missing nonce is a step of the protocol, not a stranger's attempt: only refusals count.
      if (device.jkt !== null && error instanceof DpopProofInvalid) {
        await this.events.record(anonymous(origin), { type: 'dpop_proof_rejected', userId: device.userId, device });
      }
      throw error;
    }
    if (device.jkt === null && !(await this.devices.bindKey(device.id, jkt))) {
      throw this.dpop.refusal('The device was bound to another key meanwhile.');
    }
    return { ...device, jkt };
  }

  /**
   * RFC 7009: ends the session of the device the token belongs to; unknown tokens are ignored.
   * Whoever holds a bearer device's refresh token may end its session (RFC 7009 §2.1); a device
   * bound to a key needs a proof by that key too, as its refresh does, so that a thief with the
   * refresh token alone cannot sign the owner out (a refusal revokes nothing and is recorded).
   */
  async revokeByToken(presented: string, origin: RequestOrigin, dpop: DpopRequest | null = null): Promise<void> {
    if (!isWellFormedRefreshToken(presented)) return;
    const found = await this.tokens.findWithDevice(hashRefreshToken(presented));
    if (!found) return;
    if (found.device.jkt !== null) await this.proveKey(found.device, dpop, origin);
    await this.revocation.revoke({ deviceIds: [found.device.id] }, 'token_revoked', anonymous(origin));
  }

  private newToken(device: DeviceEntity, secret: string): RefreshTokenEntity {
    const now = this.clock.now();
    return {
      id: randomUUID(),
      deviceId: device.id,
      tokenHash: hashRefreshToken(secret),
      createdAt: now,
      // Sliding idle lifetime, never past the device session's absolute end.
      expiresAt: Math.min(now + this.config.refreshTokenTtl * 1000, device.sessionExpiresAt),
      rotatedAt: null,
      replacedById: null,
      sealedSuccessor: null,
    };
  }

  private respond(device: DeviceEntity, refreshToken: string, refreshExpiresAt: number): TokenResponse {
    const access = this.accessTokens.issue(device.userId, device.id, device.jkt);
    return {
      access_token: access.token,
      token_type: device.jkt === null ? 'Bearer' : 'DPoP',
      expires_in: access.expiresIn,
      refresh_token: refreshToken,
      refresh_token_expires_in: Math.max(0, Math.floor((refreshExpiresAt - this.clock.now()) / 1000)),
      device_id: device.id,
    };
  }
}
