import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig, Clock, ValidationFailed } from '@app/platform';
import {
  SsfEventRepository,
  SsfStreamRepository,
  type SsfReceiverEntity,
  type SsfStreamEntity,
  type SsfStreamStatus,
} from '@app/persistence';
import { PUSH_DELIVERY } from '../events/ssf-event-types.js';
import { SetQueueWatch } from '../events/set-queue-watch.js';
import { SsfStreamDisabled, SsfStreamNotFound, SsfTooManyStreams } from '../ssf.errors.js';
import { pollEndpointOf } from '../transmitter/transmitter-base-url.js';
import { isStreamId, parseStreamChange, toStreamConfiguration, type StreamConfiguration } from './stream-configuration.js';

/** Streams one receiver may hold (SSF 1.0 §8.1.1.1 lets a transmitter refuse more with 409). */
export const MAX_STREAMS_PER_RECEIVER = 10;
const MAX_REASON = 200;
const MAX_STATE = 1000;
const STATUSES: readonly SsfStreamStatus[] = ['enabled', 'paused', 'disabled'];

/** SSF 1.0 §8.1.2: a stream's status as the status endpoint reads and writes it. */
export interface StreamStatus {
  readonly stream_id: string;
  readonly status: SsfStreamStatus;
  readonly reason?: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The stream management API of SSF 1.0 §8.1 for one receiver at a time: every method takes the
 * authenticated receiver, and every look-up names it, so another receiver's stream is exactly as
 * unknown as one that does not exist (404). `base` is the transmitter's external URL.
 */
@Injectable()
export class SsfStreamsService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly streams: SsfStreamRepository,
    private readonly sets: SsfEventRepository,
    private readonly watch: SetQueueWatch,
  ) {}

  async create(receiver: SsfReceiverEntity, body: unknown, base: string): Promise<StreamConfiguration> {
    const parsed = parseStreamChange(body, 'create', this.facts(receiver));
    if ('errors' in parsed) throw new ValidationFailed(parsed.errors);
    const now = this.clock.now();
    const stream: SsfStreamEntity = {
      id: randomUUID(),
      receiverId: receiver.id,
      audience: receiver.audience,
      ...parsed.change.settings,
      status: 'enabled',
      statusReason: null,
      createdAt: now,
      updatedAt: now,
    };
    // Counted and inserted under one lock: a burst of creates cannot pass the cap together.
    if (!(await this.streams.createUnderCap(stream, MAX_STREAMS_PER_RECEIVER))) throw new SsfTooManyStreams(MAX_STREAMS_PER_RECEIVER);
    return this.configuration(stream, base);
  }

  /** One stream (`streamId` given) or all of the receiver's (SSF 1.0 §8.1.1.2). */
  async read(receiver: SsfReceiverEntity, streamId: unknown, base: string): Promise<StreamConfiguration | StreamConfiguration[]> {
    if (streamId === undefined) return (await this.streams.listOfReceiver(receiver.id)).map((stream) => this.configuration(stream, base));
    return this.configuration(await this.find(receiver, streamId), base);
  }

  /** PATCH (only the members given change) or PUT (all receiver-supplied members replaced). */
  async change(receiver: SsfReceiverEntity, body: unknown, mode: 'update' | 'replace', base: string): Promise<StreamConfiguration> {
    const id = isObject(body) ? body.stream_id : undefined;
    if (!isStreamId(id)) throw new ValidationFailed([{ field: 'stream_id', message: 'must be the id of one of your streams' }]);
    const current = this.configuration(await this.find(receiver, id), base);
    const parsed = parseStreamChange(body, mode, this.facts(receiver), current);
    if ('errors' in parsed) throw new ValidationFailed(parsed.errors);
    if (!(await this.streams.update(receiver.id, id, parsed.change.settings, this.clock.now()))) throw new SsfStreamNotFound();
    return this.configuration(await this.find(receiver, id), base);
  }

  async delete(receiver: SsfReceiverEntity, streamId: unknown): Promise<void> {
    if (!(await this.streams.delete(receiver.id, this.streamIdOf(streamId)))) throw new SsfStreamNotFound();
  }

  async status(receiver: SsfReceiverEntity, streamId: unknown): Promise<StreamStatus> {
    return statusOf(await this.find(receiver, streamId));
  }

  /** SSF 1.0 §8.1.2.2: paused holds the stream's SETs, disabled drops them, enabled delivers what was held. */
  async setStatus(receiver: SsfReceiverEntity, body: unknown): Promise<StreamStatus> {
    if (!isObject(body)) throw new ValidationFailed([{ field: '', message: 'must be a JSON object' }]);
    const errors = unknownMembers(body, ['stream_id', 'status', 'reason']);
    if (!isStreamId(body.stream_id)) errors.push({ field: 'stream_id', message: 'must be the id of one of your streams' });
    if (!STATUSES.includes(body.status as SsfStreamStatus))
      errors.push({ field: 'status', message: `must be one of ${STATUSES.join(', ')}` });
    if (body.reason !== undefined && (typeof body.reason !== 'string' || body.reason.length > MAX_REASON))
      errors.push({ field: 'reason', message: `must be a string of at most ${MAX_REASON} characters` });
    if (errors.length > 0) throw new ValidationFailed(errors);
    const streamId = body.stream_id as string;
    const reason = typeof body.reason === 'string' ? body.reason : null;
    if (!(await this.streams.setStatus(receiver.id, streamId, body.status as SsfStreamStatus, reason, this.clock.now())))
      throw new SsfStreamNotFound();
    if (body.status === 'enabled') this.watch.notify();
    return statusOf(await this.find(receiver, streamId));
  }

  /** SSF 1.0 §8.1.4.2: queues a verification SET carrying the receiver's `state`. */
  async verify(receiver: SsfReceiverEntity, body: unknown): Promise<void> {
    if (!isObject(body)) throw new ValidationFailed([{ field: '', message: 'must be a JSON object' }]);
    const errors = unknownMembers(body, ['stream_id', 'state']);
    if (!isStreamId(body.stream_id)) errors.push({ field: 'stream_id', message: 'must be the id of one of your streams' });
    if (body.state !== undefined && (typeof body.state !== 'string' || body.state.length > MAX_STATE))
      errors.push({ field: 'state', message: `must be a string of at most ${MAX_STATE} characters` });
    if (errors.length > 0) throw new ValidationFailed(errors);
    const stream = await this.find(receiver, body.stream_id);
    if (stream.status === 'disabled') throw new SsfStreamDisabled();
    await this.sets.queueVerification(
      stream.id,
      typeof body.state === 'string' ? body.state : null,
      stream.deliveryMethod === PUSH_DELIVERY,
    );
    this.watch.notify();
  }

  private async find(receiver: SsfReceiverEntity, streamId: unknown): Promise<SsfStreamEntity> {
    const stream = await this.streams.findOfReceiver(receiver.id, this.streamIdOf(streamId));
    if (!stream) throw new SsfStreamNotFound();
    return stream;
  }

  /** The `stream_id` query parameter: required, and an id this transmitter could have issued. */
  private streamIdOf(streamId: unknown): string {
    if (!isStreamId(streamId)) throw new ValidationFailed([{ field: 'stream_id', message: 'must be the id of one of your streams' }]);
    return streamId;
  }

  private configuration(stream: SsfStreamEntity, base: string): StreamConfiguration {
    return toStreamConfiguration(stream, this.config.jwt.issuer, pollEndpointOf(base, stream.id));
  }

  private facts(receiver: SsfReceiverEntity) {
    return { issuer: this.config.jwt.issuer, audience: receiver.audience, production: this.config.production };
  }
}

function statusOf(stream: SsfStreamEntity): StreamStatus {
  return { stream_id: stream.id, status: stream.status, ...(stream.statusReason !== null ? { reason: stream.statusReason } : {}) };
}

function unknownMembers(body: Record<string, unknown>, known: readonly string[]) {
  return Object.keys(body)
    .filter((key) => !known.includes(key))
    .map((key) => ({ field: key, message: 'is not a known property' }));
}
