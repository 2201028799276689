import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

// Refresh tokens are 256 bits from the CSPRNG, base64url: 43 characters, no padding.
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function generateRefreshToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Cheap syntax check, so garbage never reaches the database. */
export function isWellFormedRefreshToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/**
 * What the database stores. A fast hash is enough: the token has 256 bits of entropy, so
 * there is nothing to brute-force, and lookups stay one indexed equality match.
 */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function sealingKey(token: string): Buffer {
  return createHash('sha256').update('refresh-token-successor\0').update(token).digest();
}

/**
 * Encrypts a successor under a key derived from its parent token (AES-256-GCM), so that a
 * retry of the parent within the grace period can be answered with the same successor.
 */
export function sealSuccessor(parentToken: string, successorToken: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(parentToken), iv);
  const sealed = Buffer.concat([cipher.update(successorToken, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
}

/** The successor, or null when `sealed` was not made for this parent token. */
export function openSuccessor(parentToken: string, sealed: string): string | null {
  try {
    const bytes = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(parentToken), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
