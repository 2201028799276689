import { Injectable, Logger } from '@nestjs/common';
import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { Clock } from '@app/platform';
import { SigningKeyRepository, type SigningKeyEntity } from '@app/persistence';
import { SecurityEventRecorder } from '@app/security-events';
import { KeyRing, type KeyListing } from './key-ring.js';
import { currentKey, keyToAdd, nextKey } from './key-schedule.js';

/** Who changed the keys: the operator's command, or the service on its schedule. */
export type KeyChangeActor = 'operator' | 'system';

/**
 * The managed keys' life (API.md § Signing keys and their rotation): adds each successor ahead
 * of time, rotates and revokes on command, records every change as a security event and a log
 * line, and loads the result into this process's KeyRing. Every change is one conditional
 * statement, so processes that act at once cannot add two keys of one generation or revoke a
 * key twice. Used by the apps (SigningKeySync) and by `npm run keys`.
 */
@Injectable()
export class SigningKeys {
  private readonly logger = new Logger('SigningKeys');

  constructor(
    private readonly repository: SigningKeyRepository,
    private readonly ring: KeyRing,
    private readonly recorder: SecurityEventRecorder,
    private readonly clock: Clock,
  ) {}

  /** Reads the keys, adds the successor the schedule asks for (if any), and loads them into the ring. */
  async sync(): Promise<void> {
    if (!this.ring.managed) return;
    let rows = await this.repository.findAll();
    // At most twice: a first start adds the first key and, at once, its successor.
    for (let round = 0; round < 2; round++) {
      const toAdd = keyToAdd(rows, this.clock.now(), this.ring.schedule);
      if (!toAdd) break;
      const kid = await this.addKey(toAdd.generation, toAdd.activatesAt);
      if (kid)
        await this.recordChange('signing_key_rotated', kid, 'system', rows.length === 0 ? 'first_key' : 'scheduled', toAdd.activatesAt);
      rows = await this.repository.findAll();
    }
    this.ring.load(rows);
  }

  /** Every managed key with its state now. */
  async list(): Promise<KeyListing[]> {
    this.ring.load(await this.repository.findAll());
    return this.ring.list(this.clock.now());
  }

  /**
   * Makes the next key sign as soon as it safely can: JWKS_MAX_AGE plus a minute after it was
   * published (at once if it has been published that long), and schedules its successor.
   * Returns the key that takes over.
   */
  async rotate(actor: KeyChangeActor): Promise<KeyListing> {
    this.assertManaged();
    const now = this.clock.now();
    let rows = await this.repository.findAll();
    let next = nextKey(rows, now);
    if (!next) {
      await this.addKey(nextGeneration(rows), now + this.ring.schedule.leadMs);
      rows = await this.repository.findAll();
      next = nextKey(rows, now) as SigningKeyEntity;
    }
    const activatesAt = Math.max(now, next.createdAt + this.ring.schedule.leadMs);
    await this.repository.activateAt(next.kid, activatesAt);
    await this.recordChange('signing_key_rotated', next.kid, actor, 'command', Math.min(activatesAt, next.activatesAt));
    await this.sync();
    return this.ring.list(this.clock.now()).find((key) => key.kid === (next as SigningKeyEntity).kid) as KeyListing;
  }

  /**
   * The emergency: the key leaves the key set and every process refuses its tokens within the
   * revocation spread; if it was signing, the next key signs from now on (a new one if there is
   * none). False when no such key is live (unknown, or already revoked).
   */
  async revoke(kid: string, actor: KeyChangeActor): Promise<boolean> {
    this.assertManaged();
    const now = this.clock.now();
    const rows = await this.repository.findAll();
    const wasCurrent = currentKey(rows, now)?.kid === kid;
    if (!(await this.repository.revoke(kid, now))) return false;
    await this.recordChange('signing_key_revoked', kid, actor, actor === 'operator' ? 'command' : 'automatic', null);
    if (wasCurrent) {
      const after = await this.repository.findAll();
      const next = nextKey(after, now);
      if (next) await this.repository.activateAt(next.kid, now);
      else await this.addKey(nextGeneration(after), now);
    }
    await this.sync();
    return true;
  }

  /** Generates a key pair (JWT_ALG), seals its private half and adds it; its kid, or null when another process took the generation. */
  private async addKey(generation: number, activatesAt: number): Promise<string | null> {
    const algorithm = this.ring.newKeyAlgorithm;
    const { publicKey, privateKey } =
      algorithm === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const added = await this.repository.insert({
      kid,
      generation,
      algorithm,
      publicJwk: JSON.stringify(publicJwk),
      sealedPrivateKey: this.ring.seal(kid, privateKey),
      createdAt: this.clock.now(),
      activatesAt,
    });
    return added ? kid : null;
  }

  private async recordChange(
    type: 'signing_key_rotated' | 'signing_key_revoked',
    kid: string,
    actor: KeyChangeActor,
    reason: string,
    activatesAt: number | null,
  ): Promise<void> {
    await this.recorder.recordKeyEvent(type, kid, actor, reason);
    const when = activatesAt === null ? '' : `, signs from ${new Date(activatesAt).toISOString()}`;
    this.logger.log(`${type} kid=${kid} by=${actor} reason=${reason}${when}`);
  }

  private assertManaged(): void {
    if (!this.ring.managed) throw new StaticKeyConfigured();
  }
}

function nextGeneration(rows: readonly SigningKeyEntity[]): number {
  return rows.reduce((max, row) => Math.max(max, row.generation), 0) + 1;
}

/** Rotation and revocation concern managed keys; a static key (JWT_SECRET, JWT_PRIVATE_KEY) is changed in the configuration. */
export class StaticKeyConfigured extends Error {
  constructor() {
    super(
      'A static key is configured (JWT_SECRET or JWT_PRIVATE_KEY): managed keys are off. Change the static key in the configuration instead.',
    );
    this.name = 'StaticKeyConfigured';
  }
}
