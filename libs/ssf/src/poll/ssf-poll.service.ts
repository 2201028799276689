import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { AppConfig, ValidationFailed, type FieldError } from '@app/platform';
import { SsfEventRepository, SsfStreamRepository, type SsfReceiverEntity } from '@app/persistence';
import { setClaims } from '../events/security-event-token.js';
import { POLL_DELIVERY } from '../events/ssf-event-types.js';
import { SetQueueWatch } from '../events/set-queue-watch.js';
import { SetSigner } from '../set-signer.js';
import { SsfStreamNotFound } from '../ssf.errors.js';

/** The longest a poll is held (API.md: up to 30 s). */
export const POLL_MAX_WAIT_MS = 30_000;
/** SETs per answer when the receiver names no `maxEvents`, and at most. */
const DEFAULT_MAX_EVENTS = 100;
const MAX_EVENTS = 1000;
/** Acknowledgements (and errors) one poll may carry. */
const MAX_ACKS = 1000;
const MAX_JTI = 100;
const MAX_ERROR_TEXT = 200;
/** While a poll is held it looks this often, besides being woken (another process may have queued). */
const RECHECK_MS = 250;

/** RFC 8936 §2.2: a poll request, read. */
export interface PollRequest {
  readonly ack: readonly string[];
  readonly setErrs: ReadonlyMap<string, string>;
  readonly maxEvents: number;
  readonly returnImmediately: boolean;
}

/** RFC 8936 §2.3: the answer. */
export interface PollResponse {
  readonly sets: Record<string, string>;
  readonly moreAvailable: boolean;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isJti = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= MAX_JTI;

/** Reads an RFC 8936 poll body; the refused members as field errors (400). */
export function parsePollRequest(body: unknown): PollRequest {
  const errors: FieldError[] = [];
  // An empty body is a poll with every default.
  const request = body === undefined || body === null ? {} : body;
  if (!isObject(request)) throw new ValidationFailed([{ field: '', message: 'must be a JSON object' }]);
  for (const key of Object.keys(request)) {
    if (!['ack', 'setErrs', 'maxEvents', 'returnImmediately'].includes(key))
      errors.push({ field: key, message: 'is not a poll parameter' });
  }
  let ack: string[] = [];
  if (request.ack !== undefined) {
    if (!Array.isArray(request.ack) || request.ack.length > MAX_ACKS || !request.ack.every(isJti))
      errors.push({ field: 'ack', message: `must be an array of at most ${MAX_ACKS} jti strings` });
    else ack = request.ack as string[];
  }
  const setErrs = new Map<string, string>();
  if (request.setErrs !== undefined) {
    const entries = isObject(request.setErrs) ? Object.entries(request.setErrs) : null;
    if (
      entries === null ||
      entries.length > MAX_ACKS ||
      !entries.every(
        ([jti, error]) =>
          isJti(jti) &&
          isObject(error) &&
          typeof error.err === 'string' &&
          (error.description === undefined || typeof error.description === 'string'),
      )
    )
      errors.push({ field: 'setErrs', message: `must map at most ${MAX_ACKS} jtis to {"err","description"}` });
    else
      for (const [jti, error] of entries) {
        const { err, description } = error as { err: string; description?: string };
        setErrs.set(jti, `${err}${description ? `: ${description}` : ''}`.slice(0, MAX_ERROR_TEXT));
      }
  }
  let maxEvents = DEFAULT_MAX_EVENTS;
  if (request.maxEvents !== undefined) {
    if (
      typeof request.maxEvents !== 'number' ||
      !Number.isInteger(request.maxEvents) ||
      request.maxEvents < 0 ||
      request.maxEvents > MAX_EVENTS
    )
      errors.push({ field: 'maxEvents', message: `must be a whole number from 0 to ${MAX_EVENTS}` });
    else maxEvents = request.maxEvents;
  }
  let returnImmediately = false;
  if (request.returnImmediately !== undefined) {
    if (typeof request.returnImmediately !== 'boolean') errors.push({ field: 'returnImmediately', message: 'must be true or false' });
    else returnImmediately = request.returnImmediately;
  }
  if (errors.length > 0) throw new ValidationFailed(errors);
  return { ack, setErrs, maxEvents, returnImmediately };
}

/**
 * RFC 8936 poll delivery: acknowledges what the receiver acknowledges (`ack`, `setErrs`), then
 * answers the stream's oldest unacknowledged SETs, every one of them again on the next poll
 * until it is acknowledged. With none to give and no `returnImmediately`, the poll is held
 * (up to 30 s) until one is queued: woken at once by this process's revocations and
 * verification requests (SetQueueWatch), else found by a look every 250 ms. A paused stream
 * answers nothing (its SETs are held); the client leaving or a shutdown ends the wait.
 */
@Injectable()
export class SsfPollService implements OnModuleDestroy {
  private readonly waiters = new Set<() => void>();
  private readonly unsubscribe: () => void;
  private closing = false;

  constructor(
    private readonly config: AppConfig,
    private readonly streams: SsfStreamRepository,
    private readonly sets: SsfEventRepository,
    private readonly signer: SetSigner,
    watch: SetQueueWatch,
  ) {
    this.unsubscribe = watch.onQueued(() => this.wakeAll());
  }

  onModuleDestroy(): void {
    this.closing = true;
    this.unsubscribe();
    this.wakeAll();
  }

  async poll(receiver: SsfReceiverEntity, streamId: string, request: PollRequest, cancelled: AbortSignal): Promise<PollResponse> {
    const stream = await this.streams.findOfReceiver(receiver.id, streamId);
    if (!stream || stream.deliveryMethod !== POLL_DELIVERY) throw new SsfStreamNotFound();
    await this.sets.acknowledge(stream.id, request.ack);
    for (const [jti, error] of request.setErrs) await this.sets.acknowledge(stream.id, [jti], error);
    if (request.maxEvents === 0) return { sets: {}, moreAvailable: false };
    const deadline = performance.now() + (request.returnImmediately ? 0 : POLL_MAX_WAIT_MS);
    for (;;) {
      const pending = await this.sets.unacknowledged(stream.id, request.maxEvents + 1);
      // Paused (held) or disabled: nothing to offer (a status change shows in every row's stream).
      if (pending.length > 0 && pending[0]!.stream.status === 'enabled') {
        const offered = pending.slice(0, request.maxEvents);
        const signed = await Promise.all(offered.map((set) => this.signer.sign(setClaims(set, this.config.jwt.issuer))));
        return {
          sets: Object.fromEntries(offered.map((set, index) => [set.id, signed[index]!])),
          moreAvailable: pending.length > offered.length,
        };
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0 || this.closing || cancelled.aborted) return { sets: {}, moreAvailable: false };
      await this.sleep(Math.min(remaining, RECHECK_MS), cancelled);
    }
  }

  private sleep(ms: number, cancelled: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        cancelled.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiters.add(wake);
      cancelled.addEventListener('abort', wake, { once: true });
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
