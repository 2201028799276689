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
