import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { SsfReceiverRepository, type SsfReceiverEntity } from '@app/persistence';
import { SetSigner } from '../set-signer.js';
import { SsfReceiverRefused, SsfTransmitterOff } from '../ssf.errors.js';

/** `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 6750 §2.1). */
const BEARER = /^Bearer +([A-Za-z0-9_-]{20,200}) *$/i;

/** The SHA-256 (hex) a receiver token is stored as (the `ssf add-receiver` command writes the same). */
export function hashReceiverToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The request as the guard leaves it: with the authenticated receiver. */
export interface ReceiverRequest {
  headers: { authorization?: string };
  ssfReceiver?: SsfReceiverEntity;
}

/**
 * A receiver's own bearer token (issued by `npm run ssf -- add-receiver`), not an access token:
 * stream management serves services, not users. The token is 256 bits from a CSPRNG, so its
 * SHA-256 is looked up directly (an equality on a hash reveals nothing usable by timing).
 * Off (404) without an asymmetric signing key, before the credential is looked at.
 */
@Injectable()
export class SsfReceiverGuard implements CanActivate {
  constructor(
    private readonly signer: SetSigner,
    private readonly receivers: SsfReceiverRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<true> {
    if (!this.signer.available) throw new SsfTransmitterOff();
    const request = context.switchToHttp().getRequest<ReceiverRequest>();
    const authorization = request.headers.authorization;
    if (authorization === undefined) throw new SsfReceiverRefused(false);
    const token = BEARER.exec(authorization)?.[1];
    const receiver = token === undefined ? null : await this.receivers.findByTokenHash(hashReceiverToken(token));
    if (!receiver) throw new SsfReceiverRefused(true);
    request.ssfReceiver = receiver;
    return true;
  }
}
