import { sqlStatement } from './sql-statement.js';

export interface SecurityEventRow {
  id: string;
  userId: string | null;
  type: string;
  deviceId: string | null;
  deviceName: string | null;
  actor: string;
  actorUserId: string | null;
  actorDeviceId: string | null;
  reason: string | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: number;
  occurrences: number;
}

/**
 * Records one occurrence of a run as the run's one event (`id` names the run): the first
 * occurrence inserts it, later ones only raise its count (never lower it). One statement, so
 * concurrent occurrences on any number of processes, in any order, end as one row with the
 * highest count.
 */
export const RECORD_SECURITY_EVENT_RUN = sqlStatement<SecurityEventRow>(
  'security_events.record_run',
  `INSERT INTO security_events (id, user_id, type, device_id, device_name, actor, actor_user_id, actor_device_id, reason, ip, user_agent, created_at, occurrences)
    VALUES (:id, :userId, :type, :deviceId, :deviceName, :actor, :actorUserId, :actorDeviceId, :reason, :ip, :userAgent, :createdAt, :occurrences)
    ON CONFLICT (id) DO UPDATE SET occurrences = CASE WHEN excluded.occurrences > security_events.occurrences
      THEN excluded.occurrences ELSE security_events.occurrences END`,
);

/** Deletes the account's events (with the account: they hold its addresses and devices). */
export const DELETE_SECURITY_EVENTS_OF_USER = sqlStatement<{ userId: string }>(
  'security_events.delete_of_user',
  'DELETE FROM security_events WHERE user_id = :userId',
);
