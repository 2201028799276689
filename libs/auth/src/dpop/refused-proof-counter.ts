import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Clock, RateLimited, anonymous, type RequestOrigin } from '@app/platform';
import { LoginAttemptRepository, type DeviceEntity } from '@app/persistence';
import { SecurityEventRecorder } from '@app/security-events';

/** A run of refusals on one device: one event, and at most this many answers, per window. */
const WINDOW_MS = 60_000;
const MAX_REFUSALS_PER_WINDOW = 10;

/**
 * Refused proofs at the token endpoints for a key-bound device (a missing proof, or one by
 * another key: somebody holds the refresh token but not the key). Each refusal is counted,
 * atomically and across processes, before anything is written: past MAX_REFUSALS_PER_WINDOW in
 * a window the request gets 429 and nothing is recorded; within it, the window's refusals are
 * recorded as one `dpop_proof_rejected` event with their count.
 * So a stranger repeating a refused refresh can neither flood the account's activity nor push a
 * real theft detection off the operators' overview (API.md § Device-bound tokens, Abuse).
 * The owner's own requests carry the key and are never refused, so never limited.
 */
@Injectable()
export class RefusedProofCounter {
  constructor(
    private readonly clock: Clock,
    private readonly counts: LoginAttemptRepository,
    private readonly events: SecurityEventRecorder,
  ) {}

  /** @throws RateLimited past the window's limit (then nothing is recorded) */
  async refused(device: Pick<DeviceEntity, 'id' | 'name' | 'userId'>, origin: RequestOrigin): Promise<void> {
    const now = this.clock.now();
    const key = createHash('sha256').update(`dpop-refused:${device.id}`).digest('hex');
    const [window] = await this.counts.count([key], now, WINDOW_MS);
    if (window.attempts > MAX_REFUSALS_PER_WINDOW) throw new RateLimited((window.windowEndsAt - now) / 1000);
    // The run's event id: one per device and window, the same on every process.
    const runId = uuidOf(createHash('sha256').update(`dpop_proof_rejected:${device.id}:${window.windowEndsAt}`).digest());
    await this.events.recordRun(anonymous(origin), { type: 'dpop_proof_rejected', userId: device.userId, device }, runId, window.attempts);
  }
}

/** The first 16 bytes of a digest written as a UUID (version 8: custom), for a derived row id. */
function uuidOf(digest: Buffer): string {
  const bytes = Buffer.from(digest.subarray(0, 16));
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
