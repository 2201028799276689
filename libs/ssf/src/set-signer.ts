import { Injectable } from '@nestjs/common';
import { SignJWT, type JWTPayload } from 'jose';
import { KeyRing } from '@app/keys';
import { AppConfig, Clock } from '@app/platform';

/** RFC 8417 §2.3: the `typ` of a Security Event Token. */
export const SET_TYPE = 'secevent+jwt';

/**
 * The one place Shared Signals touch a signing key: signs a SET's claims as a JWS with
 * `{alg, kid, typ: "secevent+jwt"}` by the key that signs access tokens at that moment (jose's
 * SignJWT: no hand-written signature anywhere). With managed keys (the default) that is the
 * current key, so SETs follow every rotation and receivers verify them at `jwks_uri` like the
 * access tokens; with a static JWT_PRIVATE_KEY, that key. A static HS256 secret cannot be
 * published, so a receiver could verify nothing: the transmitter is then off.
 */
@Injectable()
export class SetSigner {
  readonly available: boolean;

  constructor(
    config: AppConfig,
    private readonly keys: KeyRing,
    private readonly clock: Clock,
  ) {
    const fixed = config.signingKeys.static;
    this.available = fixed === null || fixed.algorithm === 'ES256';
  }

  /** The compact JWS of `payload` (its `iat` and the rest as given). Throws when the transmitter is off. */
  async sign(payload: JWTPayload): Promise<string> {
    if (!this.available) throw new Error('No asymmetric signing key: the SSF transmitter is off');
    const { kid, algorithm, privateKey } = this.keys.signingKey(this.clock.now());
    return new SignJWT(payload).setProtectedHeader({ alg: algorithm, kid, typ: SET_TYPE }).sign(privateKey);
  }
}
