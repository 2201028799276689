import { calculateThumbprint, generateKeyPair, generateProof } from 'dpop';
import type { StoredKeyPair } from './storage.js';

/**
 * The device's DPoP key (RFC 9449): an ES256 pair from WebCrypto whose private half cannot be
 * exported, so even code that reads the storage cannot copy it. `id` is its RFC 7638
 * thumbprint, the `jkt` the server binds the session to.
 */
export class DpopKey {
  constructor(
    readonly id: string,
    readonly keyPair: StoredKeyPair,
  ) {}

  static async generate(): Promise<DpopKey> {
    const keyPair = await generateKeyPair('ES256', { extractable: false });
    return new DpopKey(await calculateThumbprint(keyPair.publicKey), keyPair);
  }

  /** A fresh proof for one request; `accessToken` adds `ath` (resource requests). */
  proof(url: string, method: string, nonce: string | undefined, accessToken?: string): Promise<string> {
    // RFC 9449 §4.2: htu is the target URI without query and fragment.
    const target = new URL(url);
    return generateProof(this.keyPair, `${target.origin}${target.pathname}`, method.toUpperCase(), nonce, accessToken);
  }
}
