import { Injectable } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { AppConfig } from '@app/platform';

/** RFC 8417 §2.3: the `typ` of a Security Event Token. */
export const SET_TYPE = 'secevent+jwt';

/**
 * The one place Shared Signals touch a signing key: signs a SET's claims as a JWS with
 * `{alg, kid, typ: "secevent+jwt"}` (jose's SignJWT: no hand-written signature anywhere).
 *
 * For now the key is the static access-token key of AppConfig.jwt, and the transmitter is on
 * only when that key is asymmetric (JWT_PRIVATE_KEY, ES256): an HS256 secret cannot be
 * published at `jwks_uri`, so a receiver could not verify anything. When managed, rotating keys
 * arrive (issue 23), this class alone changes: sign with the key ring's current key and its `kid`
 * (`available` then being "an asymmetric key is current").
 */
@Injectable()
export class SetSigner {
  private readonly key: KeyObject | null;
  private readonly algorithm: string;
  private readonly keyId: string;

  constructor(config: AppConfig) {
    const { algorithm, signingKey, id } = config.jwt;
    this.key = algorithm === 'ES256' ? signingKey : null;
    this.algorithm = algorithm;
    this.keyId = id;
  }

  /** Whether SETs can be signed (and so whether the transmitter is on at all). */
  get available(): boolean {
    return this.key !== null;
  }

  /** The JWS algorithms SETs are signed with, for the metadata. */
  get algorithms(): string[] {
    return this.key ? [this.algorithm] : [];
  }

  /** The compact JWS of `payload` (its `iat` and the rest as given). Throws when the transmitter is off. */
  async sign(payload: JWTPayload): Promise<string> {
    if (!this.key) throw new Error('No asymmetric signing key: the SSF transmitter is off');
    return new SignJWT(payload).setProtectedHeader({ alg: this.algorithm, kid: this.keyId, typ: SET_TYPE }).sign(this.key);
  }
}
