import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppConfig, deriveSecret } from '@app/platform';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts TOTP secrets at rest (AES-256-GCM, a fresh 96-bit IV each time). The key is derived
 * (HKDF) from the deployment's root secret for this one purpose, so every process agrees on it
 * and it is never the signing key itself; the account id is the associated data, so a
 * ciphertext copied to another account's row does not decrypt. Stored as
 * `v1.<iv>.<tag>.<ciphertext>` (base64url). The root is KEY_ENCRYPTION_SECRET with managed keys
 * (a rotation changes nothing here) or the static key; after a change of JWT_SECRET, secrets
 * sealed under JWT_PREVIOUS_SECRET still open. Switching between static and managed keys makes
 * existing secrets unreadable: their accounts then enrol again (or sign in with a recovery code).
 */
@Injectable()
export class TotpSecretBox {
  private readonly key: Buffer;
  /** Keys that still open older secrets (JWT_PREVIOUS_SECRET's), never used to seal. */
  private readonly previousKeys: Buffer[];

  constructor(config: AppConfig) {
    const { derivationRoot, previousDerivationRoot } = config.signingKeys;
    this.key = deriveSecret(derivationRoot, 'totp secret encryption v1');
    this.previousKeys = previousDerivationRoot ? [deriveSecret(previousDerivationRoot, 'totp secret encryption v1')] : [];
  }

  seal(userId: string, secret: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(userId, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** The secret, or null when the box cannot open it (another key, another account, a damaged value). */
  open(userId: string, sealed: string): string | null {
    for (const key of [this.key, ...this.previousKeys]) {
      const secret = this.openWith(key, userId, sealed);
      if (secret !== null) return secret;
    }
    return null;
  }

  private openWith(key: Buffer, userId: string, sealed: string): string | null {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(userId, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
