import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig, Clock, anonymous, SYSTEM_ACTOR, type RequestOrigin } from '@app/platform';
import {
  RefreshTokenRepository,
  type DeviceEntity,
  type RefreshTokenEntity,
  type RevocationReason,
  type SessionClient,
} from '@app/persistence';
import { RefreshTokenRejected, RefreshTokenReused, type SessionEndReason } from '../auth.errors.js';
import type { DpopRequest } from '../dpop/dpop-request.js';
import { DpopProofInvalid } from '../dpop/dpop.errors.js';
import { DpopService } from '../dpop/dpop.service.js';
import { RefusedProofCounter } from '../dpop/refused-proof-counter.js';
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
    private readonly revocation: RevocationService,
    private readonly dpop: DpopService,
    private readonly refusals: RefusedProofCounter,
  ) {}

  /** The first token pair of a device that just signed in. */
  /**
   * New tokens for a device that stays (a step-up re-authentication): its live refresh token is
   * spent (presenting it again is reuse) and a new one issued, with an access token carrying the
   * device's new `auth_time`.
   */
  async reissue(device: DeviceEntity): Promise<TokenResponse> {
    await this.tokens.spendAllOfDevices([device.id], this.clock.now());
    return this.issueFirst(device);
  }

  async issueFirst(device: DeviceEntity): Promise<TokenResponse> {
    const secret = generateRefreshToken();
    const token = this.newToken(device, secret);
    await this.tokens.insert(token);
    return this.respond(device, secret, token.expiresAt);
  }

  /**
   * Rotates a refresh token presented at `client`'s token endpoint (a device signed in through
   * the other app is unknown here). `dpop` is the request's proof, if any (null: a caller that
   * never has one, the dashboard).
   *
   * The order is the protection (API.md § Device-bound tokens): the token's state is judged
   * before the key. A spent token is a grace retry or theft whatever proof comes with it, so a
   * thief who refreshed first, and perhaps bound the device to a key of their own, loses the
   * session as soon as the owner's app presents its spent token. Only a live token may bind a
   * device, and a bound device's live token needs a proof by its key, checked before anything is
   * spent (a thief without the key can neither refresh nor sign the owner out).
   */
  async refresh(
    presented: string,
    dpop: DpopRequest | null = null,
    origin: RequestOrigin = NO_ORIGIN,
    client: SessionClient = 'api',
  ): Promise<TokenResponse> {
    if (!isWellFormedRefreshToken(presented)) throw new RefreshTokenRejected(INVALID, 'invalid');
    const hash = hashRefreshToken(presented);
    const found = await this.tokens.findWithDevice(hash);
    if (!found || found.device.client !== client) throw new RefreshTokenRejected(INVALID, 'invalid');
    const { token, device } = found;
    const now = this.clock.now();
    if (device.revokedAt !== null) throw new RefreshTokenRejected(INVALID, endReasonOf(device.revokedReason));
    if (device.sessionExpiresAt <= now) {
      throw new RefreshTokenRejected('The device session reached its maximum age; sign in again.', 'session_expired');
    }
    if (token.rotatedAt !== null) return this.answerSpentToken(token, presented, device, now, () => this.proveKey(device, dpop, origin));
    if (token.expiresAt <= now) throw new RefreshTokenRejected(INVALID, 'expired');

    const jkt = await this.proveKey(device, dpop, origin);
    // One atomic step spends the token, inserts its successor and (with a proof) binds an unbound
    // device; of concurrent requests exactly one wins, and the others take the grace path below
    // with the winner's token.
    const secret = generateRefreshToken();
    const successor = this.newToken(device, secret);
    if (await this.tokens.rotate({ tokenId: token.id, successor, sealedSuccessor: sealSuccessor(presented, secret), at: now, jkt })) {
      return this.respond({ ...device, jkt }, secret, successor.expiresAt);
    }
    // Lost: to a revocation of the device (the answer says why, as for any revoked device), to a
    // rotation that bound the device to another key (this request's key is not the device's), or
    // to another refresh of this token (the grace path, with this request's key already proven).
    const current = (await this.tokens.findWithDevice(hash))!;
    if (current.device.revokedAt !== null) throw new RefreshTokenRejected(INVALID, endReasonOf(current.device.revokedReason));
    if (current.device.jkt !== jkt) throw this.dpop.refusal('The device was bound to another key meanwhile.');
    if (current.token.rotatedAt === null) throw new RefreshTokenRejected(INVALID, 'invalid');
    return this.answerSpentToken(current.token, presented, current.device, now, async () => jkt);
  }

  /**
   * A spent token: forgiven only if it is the immediate parent of the device's live token,
   * rotated less than REFRESH_REUSE_GRACE ago (isGraceRetry), and, for a bound device, the
   * request proves its key (`proveKey`; a refusal spends and revokes nothing); then the caller
   * gets that live token back. Anything else is theft: the device is revoked and the request
   * refused, whatever proof it carries.
   */
  private async answerSpentToken(
    token: RefreshTokenEntity,
    presented: string,
    device: DeviceEntity,
    now: number,
    proveKey: () => Promise<string | null>,
  ): Promise<TokenResponse> {
    const successor = token.replacedById ? await this.tokens.findById(token.replacedById) : null;
    const secret = token.sealedSuccessor ? openSuccessor(presented, token.sealedSuccessor) : null;
    if (successor && secret !== null && isGraceRetry(token, successor, now, this.config.refreshReuseGrace * 1000)) {
      if (device.jkt !== null) await proveKey();
      return this.respond(device, secret, successor.expiresAt);
    }
    await this.revocation.revoke({ deviceIds: [device.id] }, 'refresh_token_reused', SYSTEM_ACTOR);
    throw new RefreshTokenReused();
  }

  /**
   * The key a request proves for `device`: a bound device's request needs a valid proof by its
   * key (a refusal is counted and recorded by RefusedProofCounter, rate-limited per device); an
   * unbound device's request may carry a proof by any key, which the rotation then binds it to
   * (RFC 9449 §5); none without a proof.
   */
  private async proveKey(device: DeviceEntity, dpop: DpopRequest | null, origin: RequestOrigin): Promise<string | null> {
    if (device.jkt === null && dpop?.proof === undefined) return null;
    try {
      if (dpop?.proof === undefined) throw this.dpop.refusal('This device is bound to a key: the request needs a DPoP proof made with it.');
      const jkt = await this.dpop.verify(dpop);
      if (device.jkt !== null && jkt !== device.jkt)
        throw this.dpop.refusal('The DPoP proof was made with another key than this device is bound to.');
      return jkt;
    } catch (error) {
      // A missing nonce is a step of the protocol, not a stranger's attempt: only refusals count.
      if (device.jkt !== null && error instanceof DpopProofInvalid) await this.refusals.refused(device, origin);
      throw error;
    }
  }

  /**
   * RFC 7009: ends the session of the device the token belongs to; unknown tokens (and the other
   * app's) are ignored. Judged in the refresh's order: a spent token that is no grace retry is
   * reuse, and ends the session whatever proof comes with it (`refresh_token_reused`), so the
   * owner can sign a thief out with the token the thief made spent. Otherwise whoever holds a
   * bearer device's refresh token may end its session (RFC 7009 §2.1), and a device bound to a key
   * needs a proof by that key too, as its refresh does, so that a thief with the refresh token
   * alone cannot sign the owner out (a refusal revokes nothing and is counted like a refused
   * refresh).
   */
  async revokeByToken(presented: string, origin: RequestOrigin, dpop: DpopRequest | null = null): Promise<void> {
    if (!isWellFormedRefreshToken(presented)) return;
    const found = await this.tokens.findWithDevice(hashRefreshToken(presented));
    if (!found || found.device.client !== 'api' || found.device.revokedAt !== null) return;
    const { token, device } = found;
    if (token.rotatedAt !== null && !(await this.isGraceRetry(token))) {
      await this.revocation.revoke({ deviceIds: [device.id] }, 'refresh_token_reused', SYSTEM_ACTOR);
      return;
    }
    if (device.jkt !== null) await this.proveKey(device, dpop, origin);
    await this.revocation.revoke({ deviceIds: [device.id] }, 'token_revoked', anonymous(origin));
  }

  private async isGraceRetry(spent: RefreshTokenEntity): Promise<boolean> {
    const successor = spent.replacedById ? await this.tokens.findById(spent.replacedById) : null;
    return successor !== null && isGraceRetry(spent, successor, this.clock.now(), this.config.refreshReuseGrace * 1000);
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

  private async respond(device: DeviceEntity, refreshToken: string, refreshExpiresAt: number): Promise<TokenResponse> {
    const access = await this.accessTokens.issue(device);
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
