import { hkdfSync, type KeyObject } from 'node:crypto';

function keyMaterial(key: KeyObject): Buffer {
  return key.type === 'secret' ? key.export() : key.export({ format: 'der', type: 'pkcs8' });
}

/**
 * A 256-bit secret for one purpose (`info`), derived (HKDF-SHA256) from the deployment's root
 * secret (`SigningKeySettings.derivationRoot`: KEY_ENCRYPTION_SECRET, or the static signing
 * key): every process agrees on it without another secret to configure, knowing it reveals
 * nothing about the root, and it does not change when managed signing keys rotate. The
 * dashboard's CSRF tokens, the DPoP nonces and the TOTP secrets at rest use one each.
 */
export function deriveSecret(root: KeyObject, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', keyMaterial(root), 'device-auth', info, 32));
}
