import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { SsfEventKind } from '../entities/ssf-event.entity.js';
import type { SsfDeliveryMethod, SsfStreamStatus } from '../entities/ssf-stream.entity.js';
import {
  ACKNOWLEDGE_SETS,
  ANY_SET_DUE,
  CLAIM_DUE_SETS,
  MARK_SET_DELIVERED,
  PRUNE_SETS,
  PUSH_METHOD,
  QUEUE_VERIFICATION_SET,
  RETRY_SET_LATER,
  SETS_WITH_STREAMS,
  UNACKNOWLEDGED_SETS,
} from '../sql/ssf-events.sql.js';
import { SqlRunner } from '../sql/sql-runner.js';
import type { ClaimedDelivery, RetryOutcome } from './webhook-delivery.repository.js';

/** A queued SET and its stream: everything needed to sign and send it. */
export interface QueuedSet {
  readonly id: string;
  readonly streamId: string;
  readonly kind: SsfEventKind;
  readonly userId: string | null;
  readonly deviceId: string | null;
  readonly reason: string | null;
  readonly initiatingEntity: string | null;
  readonly state: string | null;
  /** Epoch ms. */
  readonly occurredAt: number;
  readonly createdAt: number;
  readonly stream: {
    readonly audience: string;
    readonly deliveryMethod: SsfDeliveryMethod;
    readonly endpointUrl: string | null;
    readonly authorizationHeader: string | null;
    readonly status: SsfStreamStatus;
  };
}

const nullable = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/**
 * The SET queue (migration 1765500000000): an outbox for push streams (the same claim, retry
 * and prune as the security webhook's, under the caller's claim on the database's clock) and
 * the acknowledgement ledger of poll streams.
 */
@Injectable()
export class SsfEventRepository {
  private readonly sql: SqlRunner;

  constructor(dataSource: DataSource) {
    this.sql = new SqlRunner(dataSource);
  }

  /** Queues a verification SET for the stream (push: due at once); returns its jti. */
  async queueVerification(streamId: string, state: string | null, push: boolean): Promise<string> {
    const id = randomUUID();
    await this.sql.run(QUEUE_VERIFICATION_SET, { id, streamId, state, push: push ? 1 : 0 });
    return id;
  }

  /** Whether a push SET is due (a read, before taking the write lock a claim needs). */
  async anyDue(): Promise<boolean> {
    return (await this.sql.rows(ANY_SET_DUE, { pushMethod: PUSH_METHOD })).length > 0;
  }

  async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const claimId = randomUUID();
    const rows = await this.sql.rows(CLAIM_DUE_SETS, { leaseMs, claimId, limit, pushMethod: PUSH_METHOD });
    return rows.map((row) => ({ id: String(row.id), claimId, attempts: Number(row.attempts) }));
  }

  async markDelivered(claim: ClaimedDelivery): Promise<boolean> {
    return (await this.sql.affected(MARK_SET_DELIVERED, { id: claim.id, claimId: claim.claimId })) > 0;
  }

  async retryLater(claim: ClaimedDelivery, delayMs: number, giveUpAfterMs: number, error: string): Promise<RetryOutcome> {
    const rows = await this.sql.rows(RETRY_SET_LATER, {
      id: claim.id,
      claimId: claim.claimId,
      delayMs,
      giveUpAfterMs,
      error: error.slice(0, 200),
    });
    if (rows.length === 0) return 'lost_claim';
    return rows[0]!.next_attempt_at === null ? 'given_up' : 'retrying';
  }

  prune(doneOlderThanMs: number, pendingOlderThanMs: number): Promise<number> {
    return this.sql.affected(PRUNE_SETS, { doneOlderThanMs, pendingOlderThanMs });
  }

  async findWithStreams(ids: readonly string[]): Promise<QueuedSet[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql.rows(SETS_WITH_STREAMS, { ids: [...ids] });
    return rows.map((row) => ({
      id: String(row.id),
      streamId: String(row.stream_id),
      kind: String(row.kind) as SsfEventKind,
      userId: nullable(row.user_id),
      deviceId: nullable(row.device_id),
      reason: nullable(row.reason),
      initiatingEntity: nullable(row.initiating_entity),
      state: nullable(row.state),
      occurredAt: Number(row.occurred_at),
      createdAt: Number(row.created_at),
      stream: {
        audience: String(row.audience),
        deliveryMethod: String(row.delivery_method) as SsfDeliveryMethod,
        endpointUrl: nullable(row.endpoint_url),
        authorizationHeader: nullable(row.authorization_header),
        status: String(row.status) as SsfStreamStatus,
      },
    }));
  }

  /** Poll: the stream's oldest unacknowledged SETs, at most `limit`, oldest first. */
  async unacknowledged(streamId: string, limit: number): Promise<QueuedSet[]> {
    const ids = (await this.sql.rows(UNACKNOWLEDGED_SETS, { streamId, limit })).map((row) => String(row.id));
    const byId = new Map((await this.findWithStreams(ids)).map((set) => [set.id, set]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** Poll: marks these SETs of the stream received (`error`: the receiver's setErrs entry); returns how many were pending. */
  acknowledge(streamId: string, ids: readonly string[], error: string | null = null): Promise<number> {
    if (ids.length === 0) return Promise.resolve(0);
    return this.sql.affected(ACKNOWLEDGE_SETS, { streamId, ids: [...ids], error: error?.slice(0, 200) ?? null });
  }
}
