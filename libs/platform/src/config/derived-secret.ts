import { hkdfSync, type KeyObject } from 'node:crypto';

function keyMaterial(key: KeyObject): Buffer {
  return key.type === 'secret' ? key.export() : key.export({ format: 'der', type: 'pkcs8' });
}

/**
 * A 256-bit secret for one purpose (`info`), derived (HKDF-SHA256) from the access-token
 * signing key: every process of a deployment agrees on it without another secret to
 * configure, and knowing it reveals nothing about the signing key. The dashboard's CSRF tokens
 * and the DPoP nonces use one each.
 */
export function deriveSecret(signingKey: KeyObject, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', keyMaterial(signingKey), 'device-auth', info, 32));
}
