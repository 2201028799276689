import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, In, MoreThanOrEqual, Not, type EntityManager, type Repository } from 'typeorm';
import { SecurityEventEntity, type SecurityEventType } from '../entities/security-event.entity.js';
import { DELETE_SECURITY_EVENTS_OF_USER, RECORD_SECURITY_EVENT_RUN } from '../sql/security-events.sql.js';
import { bind, type BoundStatement } from '../sql/sql-statement.js';
import { SqlRunner } from '../sql/sql-runner.js';

export type NewSecurityEvent = Omit<SecurityEventEntity, 'id' | 'occurrences' | 'keyId'> & {
  readonly occurrences?: number;
  readonly keyId?: string | null;
};

@Injectable()
export class SecurityEventRepository {
  private readonly events: Repository<SecurityEventEntity>;
  private readonly sql: SqlRunner;

  /** Over the app's DataSource, or over a transaction's EntityManager. */
  constructor(@Inject(DataSource) dataSource: DataSource | EntityManager) {
    this.events = dataSource.getRepository(SecurityEventEntity);
    this.sql = new SqlRunner(dataSource);
  }

  /** Deletes the account's events (with the account: they hold its addresses and devices). */
  deleteForUserStatement(userId: string): BoundStatement {
    return bind(DELETE_SECURITY_EVENTS_OF_USER, { userId });
  }

  async record(...events: NewSecurityEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.events.insert(events.map((event) => ({ id: randomUUID(), ...event })));
  }

  /**
   * Records one occurrence of a run as the run's one event (`id` names the run): the first
   * occurrence inserts it, later ones only raise its count to `occurrences` (never lower it). One
   * statement, so concurrent occurrences on any number of processes, in any order, end as one
   * row with the highest count.
   */
  async recordRun(id: string, event: NewSecurityEvent, occurrences: number): Promise<void> {
    await this.sql.run(RECORD_SECURITY_EVENT_RUN, { ...event, id, occurrences });
  }

  /** The account's newest events of every type but `types`, newest first. */
  listForUserExceptTypes(userId: string, types: readonly SecurityEventType[], limit: number): Promise<SecurityEventEntity[]> {
    return this.events.find({ where: { userId, type: Not(In([...types])) }, order: { createdAt: 'DESC', id: 'ASC' }, take: limit });
  }

  /** The account's events of `type` at or after `since` (all when null), newest first. */
  listForUserOfType(userId: string, type: SecurityEventType, since: number | null, limit: number): Promise<SecurityEventEntity[]> {
    return this.events.find({
      where: { userId, type, ...(since === null ? {} : { createdAt: MoreThanOrEqual(since) }) },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: limit,
    });
  }

  /** The events with these ids (in no particular order); unknown ids are left out. */
  findByIds(ids: readonly string[]): Promise<SecurityEventEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.events.findBy({ id: In([...ids]) });
  }

  /** The newest events of these types across all accounts, newest first (the operators' overview). */
  listRecentOfTypes(types: readonly SecurityEventType[], limit: number): Promise<SecurityEventEntity[]> {
    return this.events.find({ where: { type: In([...types]) }, order: { createdAt: 'DESC', id: 'ASC' }, take: limit });
  }
}
