import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { SsfStreamEntity, type SsfStreamStatus } from '../entities/ssf-stream.entity.js';
import { DROP_UNDELIVERED_SETS, RESCHEDULE_UNDELIVERED_SETS } from '../sql/ssf-events.sql.js';
import { INSERT_STREAM_UNDER_CAP, LOCK_RECEIVER_STREAMS, UPDATE_STREAM, UPDATE_STREAM_STATUS } from '../sql/ssf-streams.sql.js';
import { SqlRunner } from '../sql/sql-runner.js';
import { bind, NothingChanged } from '../sql/sql-statement.js';

/** What a receiver may set on its stream (SSF 1.0 §8.1.1: the receiver-supplied properties). */
export type SsfStreamSettings = Pick<
  SsfStreamEntity,
  'deliveryMethod' | 'endpointUrl' | 'authorizationHeader' | 'eventsRequested' | 'eventsDelivered' | 'description'
>;

/**
 * The receivers' streams. Every read and change names the receiver as well as the stream, so a
 * receiver can neither see nor touch another's stream: a foreign id is simply not found.
 */
@Injectable()
export class SsfStreamRepository {
  private readonly streams: Repository<SsfStreamEntity>;
  private readonly sql: SqlRunner;

  constructor(dataSource: DataSource) {
    this.streams = dataSource.getRepository(SsfStreamEntity);
    this.sql = new SqlRunner(dataSource);
  }

  /** Adds the stream unless its receiver already has `cap` streams (then false, and nothing changes). */
  async createUnderCap(stream: SsfStreamEntity, cap: number): Promise<boolean> {
    try {
      await this.sql.atomically([
        bind(LOCK_RECEIVER_STREAMS, { receiverId: stream.receiverId }),
        bind(INSERT_STREAM_UNDER_CAP, { ...stream, cap }, { mustChange: true }),
      ]);
      return true;
    } catch (error) {
      if (error instanceof NothingChanged) return false;
      throw error;
    }
  }

  findOfReceiver(receiverId: string, streamId: string): Promise<SsfStreamEntity | null> {
    return this.streams.findOneBy({ id: streamId, receiverId });
  }

  listOfReceiver(receiverId: string): Promise<SsfStreamEntity[]> {
    return this.streams.find({ where: { receiverId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** The stream of any receiver (for the poll endpoint, which checks the receiver itself). */
  findById(streamId: string): Promise<SsfStreamEntity | null> {
    return this.streams.findOneBy({ id: streamId });
  }

  /**
   * New settings; when the delivery method changed, the SETs it holds follow it (due at once for
   * push, waiting to be polled for poll). False when the stream is not the receiver's.
   */
  async update(receiverId: string, streamId: string, settings: SsfStreamSettings, now: number): Promise<boolean> {
    const before = await this.findOfReceiver(receiverId, streamId);
    if (!before) return false;
    const results = await this.sql.atomically([
      bind(UPDATE_STREAM, { ...settings, id: streamId, receiverId, updatedAt: now }),
      ...(before.deliveryMethod === settings.deliveryMethod
        ? []
        : [bind(RESCHEDULE_UNDELIVERED_SETS, { streamId, push: settings.deliveryMethod === 'urn:ietf:rfc:8935' ? 1 : 0 })]),
    ]);
    return results[0]!.affected > 0;
  }

  /**
   * A new status (SSF 1.0 §8.1.2): disabled drops what the stream holds; enabled makes what a
   * pause held due at once. False when the stream is not the receiver's.
   */
  async setStatus(receiverId: string, streamId: string, status: SsfStreamStatus, reason: string | null, now: number): Promise<boolean> {
    const stream = await this.findOfReceiver(receiverId, streamId);
    if (!stream) return false;
    const push = stream.deliveryMethod === 'urn:ietf:rfc:8935' ? 1 : 0;
    const results = await this.sql.atomically([
      bind(UPDATE_STREAM_STATUS, { id: streamId, receiverId, status, reason, updatedAt: now }),
      ...(status === 'disabled' ? [bind(DROP_UNDELIVERED_SETS, { streamId })] : []),
      ...(status === 'enabled' ? [bind(RESCHEDULE_UNDELIVERED_SETS, { streamId, push })] : []),
    ]);
    return results[0]!.affected > 0;
  }

  /** Deletes the stream and its queued SETs; false when it is not the receiver's. */
  async delete(receiverId: string, streamId: string): Promise<boolean> {
    return ((await this.streams.delete({ id: streamId, receiverId })).affected ?? 0) > 0;
  }
}
