import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import { AppConfig, Clock } from '@app/platform';
import { SecondFactorRepository } from '@app/persistence';
import { TotpSecretBox } from './totp-secret-box.js';

/** RFC 6238 as authenticator apps expect it: HMAC-SHA-1, 6 digits, 30-second steps. */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** ±1 step: a code of the previous, the current or the next step is accepted (clock drift, typing time). */
const TOLERANCE_SECONDS = PERIOD_SECONDS;
const RECOVERY_CODE_COUNT = 10;
/** 80 random bits per recovery code, written as 16 base32 characters in groups of four. */
const RECOVERY_CODE_BYTES = 10;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** How a second factor was proven. */
export type SecondFactorMethod = 'otp' | 'recovery_code';

/** An enrolment waiting for its first code: the secret to show once, and how it is stored. */
export interface NewTotpSecret {
  readonly secret: string;
  readonly sealed: string;
  readonly otpauthUrl: string;
}

/**
 * The second factor's checks (API.md § Strong authentication, TOTP): codes by otplib against
 * the decrypted secret, each time step and each recovery code spent by one conditional
 * statement, so a code is accepted once even when it is sent twice at the same moment. The
 * callers count attempts (per account, before the check) and decide what a right code allows.
 */
@Injectable()
export class SecondFactor {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly factors: SecondFactorRepository,
    private readonly box: TotpSecretBox,
  ) {}

  isEnabled(userId: string): Promise<boolean> {
    return this.factors.isEnabled(userId);
  }

  /** A fresh 160-bit secret for `userId`, sealed for storage, with its `otpauth://` URL labelled `email`. */
  newSecret(userId: string, email: string): NewTotpSecret {
    const secret = generateSecret({ length: 20 });
    const otpauthUrl = generateURI({
      issuer: this.config.appName,
      label: email,
      secret,
      algorithm: 'sha1',
      digits: DIGITS,
      period: PERIOD_SECONDS,
    });
    return { secret, sealed: this.box.seal(userId, secret), otpauthUrl };
  }

  /**
   * The time step `code` matches for this sealed secret (within ±1 step of now, and later than
   * `afterStep`), or null. Spends nothing.
   */
  async matchingStep(userId: string, sealed: string, code: string, afterStep: number | null): Promise<number | null> {
    const secret = this.box.open(userId, sealed);
    if (secret === null || !/^\d{6}$/.test(code)) return null;
    try {
      const result = await verify({
        secret,
        token: code,
        algorithm: 'sha1',
        digits: DIGITS,
        period: PERIOD_SECONDS,
        epoch: Math.floor(this.clock.now() / 1000),
        epochTolerance: TOLERANCE_SECONDS,
        ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
      });
      return result.valid && 'timeStep' in result ? result.timeStep : null;
    } catch {
      return null;
    }
  }

  /**
   * Checks a code against the account's confirmed factor and spends it: a 6-digit TOTP code
   * (its time step must be later than the last one accepted) or an unused recovery code.
   * Null when the code is wrong, used, or the account has no confirmed factor.
   */
  async verify(userId: string, code: string): Promise<SecondFactorMethod | null> {
    const trimmed = code.trim();
    if (/^\d{6}$/.test(trimmed)) {
      const factor = await this.factors.findFactor(userId);
      if (!factor || factor.confirmedAt === null) return null;
      const step = await this.matchingStep(userId, factor.secretCiphertext, trimmed, factor.lastUsedStep);
      return step !== null && (await this.factors.useStep(userId, step)) ? 'otp' : null;
    }
    const codeHash = hashRecoveryCode(trimmed);
    if (codeHash === null || !(await this.factors.isEnabled(userId))) return null;
    return (await this.factors.useRecoveryCode(userId, codeHash, this.clock.now())) ? 'recovery_code' : null;
  }

  /** Ten new recovery codes, as shown once to the account holder and as stored (SHA-256). */
  newRecoveryCodes(): { codes: string[]; hashes: string[] } {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => formatRecoveryCode(randomBytes(RECOVERY_CODE_BYTES)));
    return { codes, hashes: codes.map((code) => hashRecoveryCode(code)!) };
  }
}

function formatRecoveryCode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)!.join('-');
}

/** A recovery code as typed (any case, with or without dashes and spaces) → its SHA-256; null when it cannot be one. */
function hashRecoveryCode(code: string): string | null {
  const normalized = code.toLowerCase().replace(/[\s-]/g, '');
  if (!/^[a-z2-7]{16}$/.test(normalized)) return null;
  return createHash('sha256').update(normalized).digest('hex');
}
