import { Injectable } from '@nestjs/common';
import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { AppConfig, KEY_PUBLICATION_MARGIN_S, MANAGED_KEY_ALGORITHMS, type StaticAccessTokenKey } from '@app/platform';
import type { SigningKeyEntity } from '@app/persistence';
import { KeySealer } from './key-sealer.js';
import { currentKey, keyStatus, type KeyStatus, type ScheduleSettings } from './key-schedule.js';

/** Seconds of clock difference tolerated on token times (API.md § Tokens). */
const CLOCK_TOLERANCE_S = 5;

/** The key a token is signed with now. */
export interface SigningKey {
  readonly kid: string;
  readonly algorithm: string;
  readonly privateKey: KeyObject;
}

/** A published verification key, as `/.well-known/jwks.json` lists it. */
export type PublishedJwk = Readonly<Record<string, string>> & { readonly kid: string; readonly alg: string; readonly use: 'sig' };

interface ManagedKey {
  readonly row: SigningKeyEntity;
  readonly publicKey: KeyObject;
  readonly jwk: PublishedJwk;
  /** Opened on first use (only the signing key ever is). */
  privateKey: KeyObject | null;
}

/** A key's row and state, for the operators' overview and `npm run keys -- list`. */
export interface KeyListing {
  readonly kid: string;
  readonly generation: number;
  readonly algorithm: string;
  readonly createdAt: number;
  readonly activatesAt: number;
  readonly revokedAt: number | null;
  readonly status: KeyStatus;
}

/**
 * This process's signing and verification keys, in memory (API.md § Signing keys and their
 * rotation): no database query when a token is signed or verified. With a static key
 * (JWT_SECRET / JWT_PRIVATE_KEY, and JWT_PREVIOUS_SECRET for verification) that is all there is.
 * With managed keys, SigningKeySync loads the table's rows at start and again on every change
 * (pushed on PostgreSQL, the periodic sync on SQLite); which key signs, and which are published,
 * follows from their times at the moment of asking.
 */
@Injectable()
export class KeyRing {
  readonly managed: boolean;
  /** JWT_ALG: the algorithm of new managed keys. */
  readonly newKeyAlgorithm: string;
  /** The algorithms tokens may be signed with: pinned, never taken from a token. */
  readonly algorithms: readonly string[];
  readonly schedule: ScheduleSettings;
  private readonly staticKey: StaticAccessTokenKey | null;
  private readonly staticKeys = new Map<string, StaticAccessTokenKey>();
  private readonly sealer: KeySealer | null;
  private keys: ManagedKey[] = [];
  /** The revoked kids, for the guarded path's one look-up per request. */
  private revokedKids = new Set<string>();
  private readonly listeners = new Set<() => void>();

  constructor(config: AppConfig) {
    const settings = config.signingKeys;
    this.staticKey = settings.static;
    this.managed = settings.static === null;
    this.newKeyAlgorithm = settings.algorithm;
    for (const key of [settings.static, settings.previous]) if (key) this.staticKeys.set(key.id, key);
    this.algorithms = this.managed ? [...MANAGED_KEY_ALGORITHMS] : [...new Set([...this.staticKeys.values()].map((key) => key.algorithm))];
    this.sealer = settings.encryptionSecret === null ? null : new KeySealer(settings.encryptionSecret);
    this.schedule = {
      retentionMs: (config.accessTokenTtl + CLOCK_TOLERANCE_S) * 1000,
      leadMs: (settings.jwksMaxAge + KEY_PUBLICATION_MARGIN_S) * 1000,
      rotationMs: settings.rotation * 1000,
    };
  }

  /** Replaces the managed keys with the table's rows; tells the listeners (the revocation feed) when a key was revoked. */
  load(rows: readonly SigningKeyEntity[]): void {
    const known = new Map(this.keys.map((key) => [key.row.kid, key]));
    const revokedBefore = this.revokedKids.size;
    this.keys = rows.map((row) => {
      const previous = known.get(row.kid);
      if (previous && previous.row.sealedPrivateKey === row.sealedPrivateKey) return { ...previous, row };
      const publicKey = createPublicKey({ key: JSON.parse(row.publicJwk) as JsonWebKey, format: 'jwk' });
      const jwk = {
        ...(publicKey.export({ format: 'jwk' }) as Record<string, string>),
        kid: row.kid,
        alg: row.algorithm,
        use: 'sig' as const,
      };
      return { row, publicKey, jwk, privateKey: null };
    });
    this.revokedKids = new Set(rows.filter((row) => row.revokedAt !== null).map((row) => row.kid));
    if (this.revokedKids.size !== revokedBefore) for (const listener of this.listeners) listener();
  }

  /** The key to sign with at `now`. */
  signingKey(now: number): SigningKey {
    if (this.staticKey) return { kid: this.staticKey.id, algorithm: this.staticKey.algorithm, privateKey: this.staticKey.signingKey };
    const current = currentKey(
      this.keys.map((key) => key.row),
      now,
    );
    const key = current && this.keys.find((candidate) => candidate.row.kid === current.kid);
    if (!key) throw new Error('No managed signing key is active (the keys have not been loaded)');
    key.privateKey ??= this.openPrivateKey(key.row);
    return { kid: key.row.kid, algorithm: key.row.algorithm, privateKey: key.privateKey };
  }

  /**
   * The key that verifies tokens with this `kid` and `alg`: a static key, or a managed one not
   * revoked. Unknown and revoked kids get undefined.
   */
  verificationKey(kid: unknown, alg: unknown): KeyObject | undefined {
    if (typeof kid !== 'string') return undefined;
    const fixed = this.staticKeys.get(kid);
    if (fixed) return fixed.algorithm === alg ? fixed.verificationKey : undefined;
    const key = this.keys.find((candidate) => candidate.row.kid === kid);
    if (!key || key.row.revokedAt !== null || key.row.algorithm !== alg) return undefined;
    return key.publicKey;
  }

  /** How many managed keys were ever revoked (never goes down). */
  get revokedCount(): number {
    return this.revokedKids.size;
  }

  /** Whether tokens with this `kid` must be refused although their signature verified earlier. */
  isRevoked(kid: string): boolean {
    return this.revokedKids.has(kid);
  }

  /** The keys `/.well-known/jwks.json` lists at `now`: the managed keys published, or the static ES256 key (never a secret). */
  publishedKeys(now: number): PublishedJwk[] {
    if (this.staticKey) {
      const { publicJwk, id, algorithm } = this.staticKey;
      return publicJwk ? [{ ...publicJwk, kid: id, alg: algorithm, use: 'sig' }] : [];
    }
    const rows = this.keys.map((key) => key.row);
    return this.keys.filter((key) => keyStatus(key.row, rows, now, this.schedule).published).map((key) => key.jwk);
  }

  /** Keys revoked whose tokens may still be alive (API.md: the revocation feed's `revokedKeys`). */
  revokedKeys(now: number): { kid: string; revokedAt: number }[] {
    return this.keys
      .filter((key) => key.row.revokedAt !== null && key.row.revokedAt + this.schedule.retentionMs > now)
      .map((key) => ({ kid: key.row.kid, revokedAt: key.row.revokedAt as number }));
  }

  /** Every managed key with its state at `now`, oldest first. */
  list(now: number): KeyListing[] {
    const rows = this.keys.map((key) => key.row);
    return rows.map((row) => ({
      kid: row.kid,
      generation: row.generation,
      algorithm: row.algorithm,
      createdAt: row.createdAt,
      activatesAt: row.activatesAt,
      revokedAt: row.revokedAt,
      status: keyStatus(row, rows, now, this.schedule),
    }));
  }

  /** Calls `listener` whenever a key is newly revoked; returns the unsubscribe function. */
  onRevoked(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Seals a new key's private half (KEY_ENCRYPTION_SECRET). */
  seal(kid: string, privateKey: KeyObject): string {
    if (!this.sealer) throw new Error('Managed keys need KEY_ENCRYPTION_SECRET');
    return this.sealer.seal(kid, privateKey.export({ format: 'der', type: 'pkcs8' }));
  }

  private openPrivateKey(row: SigningKeyEntity): KeyObject {
    const der = this.sealer?.open(row.kid, row.sealedPrivateKey);
    if (!der) throw new Error(`Signing key ${row.kid} does not open with this KEY_ENCRYPTION_SECRET`);
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  }
}
