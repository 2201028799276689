import type { SecurityEventEntity } from '@app/persistence';

/**
 * One line of an account's security activity: an event, or a run of failed sign-ins with
 * nothing else between them, shown once (the newest of the run) with how many there were.
 */
export interface ActivityEntry extends SecurityEventEntity {
  /** How many events this line stands for (1 but for collapsed failures). */
  readonly repeated: number;
}

/**
 * Merges the other events and the failed sign-ins (both newest first) into one list, each run
 * of consecutive failures collapsed into one entry: so that a flood of failures, however
 * large, cannot push a sign-in off the page.
 */
export function collapseFailures(others: readonly SecurityEventEntity[], failures: readonly SecurityEventEntity[]): ActivityEntry[] {
  const entries: ActivityEntry[] = [];
  let failure = 0;
  const newer = (left: SecurityEventEntity, right: SecurityEventEntity) => left.createdAt >= right.createdAt;
  for (let other = 0; other <= others.length; other++) {
    const next = others[other];
    const run: SecurityEventEntity[] = [];
    while (failure < failures.length && (next === undefined || newer(failures[failure], next))) run.push(failures[failure++]);
    if (run.length > 0) entries.push({ ...run[0], repeated: run.length });
    if (next !== undefined) entries.push({ ...next, repeated: 1 });
  }
  return entries;
}
