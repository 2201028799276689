import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals managed private keys at rest (API.md § Signing keys): AES-256-GCM under a key derived
 * (HKDF-SHA256) from KEY_ENCRYPTION_SECRET for this one purpose, a fresh 96-bit IV each time,
 * the key's `kid` as associated data (a sealed key copied to another row does not open).
 * Stored as `v1.<iv>.<tag>.<ciphertext>` (base64url).
 */
export class KeySealer {
  private readonly key: Buffer;

  constructor(encryptionSecret: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', encryptionSecret, 'device-auth', 'signing key encryption v1', 32));
  }

  seal(kid: string, plaintext: Buffer): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(kid, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** The plaintext, or null when it does not open (another KEY_ENCRYPTION_SECRET, another kid, damaged). */
  open(kid: string, sealed: string): Buffer | null {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(kid, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    } catch {
      return null;
    }
  }
}
