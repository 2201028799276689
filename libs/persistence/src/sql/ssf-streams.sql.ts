import type { SsfStreamEntity, SsfStreamStatus } from '../entities/ssf-stream.entity.js';
import { sqlStatement } from './sql-statement.js';

// The receivers' streams (migration 1765500000000): changed only under the receiver's id too.

type SsfStreamSettings = Pick<
  SsfStreamEntity,
  'deliveryMethod' | 'endpointUrl' | 'authorizationHeader' | 'eventsRequested' | 'eventsDelivered' | 'description'
>;
export const UPDATE_STREAM = sqlStatement<SsfStreamSettings & { id: string; receiverId: string; updatedAt: number }>(
  'ssf_streams.update',
  `UPDATE ssf_streams SET delivery_method = :deliveryMethod, endpoint_url = :endpointUrl, authorization_header = :authorizationHeader,
     events_requested = :eventsRequested, events_delivered = :eventsDelivered, description = :description, updated_at = :updatedAt
   WHERE id = :id AND receiver_id = :receiverId`,
);

export const UPDATE_STREAM_STATUS = sqlStatement<{
  id: string;
  receiverId: string;
  status: SsfStreamStatus;
  reason: string | null;
  updatedAt: number;
}>(
  'ssf_streams.update_status',
  `UPDATE ssf_streams SET status = :status, status_reason = :reason, updated_at = :updatedAt WHERE id = :id AND receiver_id = :receiverId`,
);

/**
 * A new stream, only while its receiver has fewer than `cap`: run after LOCK_RECEIVER_STREAMS in
 * one group, so that a burst of creates cannot all count the same streams and pass together.
 * (`receiverId` is cast where it is selected: PostgreSQL wants one type for a parameter used twice.)
 */
export const INSERT_STREAM_UNDER_CAP = sqlStatement<
  SsfStreamSettings & {
    id: string;
    receiverId: string;
    audience: string;
    status: SsfStreamStatus;
    statusReason: string | null;
    createdAt: number;
    updatedAt: number;
    cap: number;
  }
>(
  'ssf_streams.insert_under_cap',
  `INSERT INTO ssf_streams (id, receiver_id, audience, delivery_method, endpoint_url, authorization_header, events_requested,
     events_delivered, description, status, status_reason, created_at, updated_at)
   SELECT :id, CAST(:receiverId AS VARCHAR(36)), :audience, :deliveryMethod, :endpointUrl, :authorizationHeader, :eventsRequested,
     :eventsDelivered, :description, :status, :statusReason, CAST(:createdAt AS BIGINT), CAST(:updatedAt AS BIGINT)
   WHERE (SELECT COUNT(*) FROM ssf_streams WHERE receiver_id = :receiverId) < CAST(:cap AS INTEGER)`,
);

/**
 * Holds the receiver's row until the group commits, so its stream count cannot change under a
 * check. PostgreSQL: a row lock (the count after it is read in a fresh snapshot, READ COMMITTED);
 * SQLite: the group's immediate transaction already holds the only write lock.
 */
export const LOCK_RECEIVER_STREAMS = sqlStatement<{ receiverId: string }>('ssf_streams.lock_receiver', {
  postgres: 'SELECT id FROM ssf_receivers WHERE id = :receiverId FOR UPDATE',
  sqlite: 'SELECT id FROM ssf_receivers WHERE id = :receiverId',
});
