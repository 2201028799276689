import type { SecurityEventEntity, SecurityEventType } from '@app/persistence';

/**
 * The events that anybody can cause without signing in, as often as they like: failed sign-ins
 * (a wrong password) and refused DPoP proofs (a refresh of a key-bound device without its key,
 * recorded at most once per device per minute with a count). The activity page reads them apart
 * from the other events and shows them as runs, so that no number of them can push another
 * event (a sign-in, a reuse detection) off the page.
 */
export const COLLAPSED_TYPES = ['login_failed', 'dpop_proof_rejected'] as const satisfies readonly SecurityEventType[];

/**
 * One line of an account's security activity: an event, or a run of failed sign-ins (or of
 * refused proofs on one device) with no other event between them, shown once (the newest of
 * the run) with how many there were.
 */
export interface ActivityEntry extends SecurityEventEntity {
  /**
   * How many times this line's event happened: the sum of `occurrences` of the events it stands
   * for (a failed sign-in counts 1, a refused-proof event the refusals it recorded).
   */
  readonly repeated: number;
}

/** The run an event belongs to: the account's failed sign-ins are one, refusals one per device. */
function runOf(event: SecurityEventEntity): string {
  return event.type === 'dpop_proof_rejected' ? `${event.type}:${event.deviceId ?? ''}` : event.type;
}

const newestFirst = (left: SecurityEventEntity, right: SecurityEventEntity) =>
  right.createdAt - left.createdAt || (left.id < right.id ? -1 : left.id > right.id ? 1 : 0);

/**
 * Merges the other events (newest first) with the collapsible ones (COLLAPSED_TYPES, any number
 * of lists) into one list, newest first: between two other events (and before the first, after
 * the last) each run, the failed sign-ins or the refused proofs of one device, is one entry (its
 * newest event, `repeated` the sum of its `occurrences`), so a flood of them, however large and
 * however interleaved, adds at most one line per run between two other events and can push
 * none of them off the page.
 */
export function collapseRuns(others: readonly SecurityEventEntity[], ...collapsible: (readonly SecurityEventEntity[])[]): ActivityEntry[] {
  const pending = collapsible.flat().sort(newestFirst);
  const entries: ActivityEntry[] = [];
  let next = 0;
  for (let other = 0; other <= others.length; other++) {
    const event = others[other];
    // A Map keeps the order of first insertion: each run at the place of its newest event.
    const runs = new Map<string, { newest: SecurityEventEntity; repeated: number }>();
    for (; next < pending.length && (event === undefined || pending[next].createdAt >= event.createdAt); next++) {
      const run = runs.get(runOf(pending[next]));
      if (run) run.repeated += pending[next].occurrences;
      else runs.set(runOf(pending[next]), { newest: pending[next], repeated: pending[next].occurrences });
    }
    for (const { newest, repeated } of runs.values()) entries.push({ ...newest, repeated });
    if (event !== undefined) entries.push({ ...event, repeated: event.occurrences });
  }
  return entries;
}
