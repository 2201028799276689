import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { SsfReceiverEntity } from './ssf-receiver.entity.js';
import { epochMs } from './epoch-ms.transformer.js';

/** RFC 8935 push and RFC 8936 poll, as SSF 1.0 names the delivery methods. */
export type SsfDeliveryMethod = 'urn:ietf:rfc:8935' | 'urn:ietf:rfc:8936';

/** SSF 1.0 §8.1.2: enabled (delivering), paused (holding events), disabled (dropping them). */
export type SsfStreamStatus = 'enabled' | 'paused' | 'disabled';

/**
 * One SSF event stream of a receiver (SSF 1.0 §8.1.1). `events_delivered` is a JSON array of
 * event-type URIs: the triggers that queue SETs match it with `LIKE '%"<uri>"%'`, so a stream
 * gets only what it asked for, whichever process or app causes the event.
 */
@Entity({ name: 'ssf_streams' })
export class SsfStreamEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('ssf_streams_receiver_id_idx')
  @ForeignKey(() => SsfReceiverEntity, { name: 'ssf_streams_receiver_fk', onDelete: 'CASCADE' })
  @Column({ name: 'receiver_id', type: 'varchar', length: 36 })
  receiverId!: string;

  /** The SETs' `aud`: the receiver's audience when the stream was created. */
  @Column({ type: 'varchar', length: 200 })
  audience!: string;

  @Column({ name: 'delivery_method', type: 'varchar', length: 40 })
  deliveryMethod!: SsfDeliveryMethod;

  /** Push: the receiver's endpoint. Poll: null (the transmitter's endpoint is derived from the id). */
  @Column({ name: 'endpoint_url', type: 'varchar', length: 2000, nullable: true })
  endpointUrl!: string | null;

  /** Push: the `Authorization` header value to send (the receiver's own secret for its endpoint). */
  @Column({ name: 'authorization_header', type: 'varchar', length: 1000, nullable: true })
  authorizationHeader!: string | null;

  /** JSON array of the event-type URIs the receiver asked for. */
  @Column({ name: 'events_requested', type: 'text' })
  eventsRequested!: string;

  /** JSON array: those of them this transmitter sends. */
  @Column({ name: 'events_delivered', type: 'text' })
  eventsDelivered!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  description!: string | null;

  @Column({ type: 'varchar', length: 16 })
  status!: SsfStreamStatus;

  @Column({ name: 'status_reason', type: 'varchar', length: 200, nullable: true })
  statusReason!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt!: number;
}
