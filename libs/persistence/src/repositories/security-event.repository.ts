import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, In, LessThan, MoreThanOrEqual, Not, type EntityManager, type Repository } from 'typeorm';
import { SecurityEventEntity, type SecurityEventType } from '../entities/security-event.entity.js';

export type NewSecurityEvent = Omit<SecurityEventEntity, 'id' | 'occurrences'> & { readonly occurrences?: number };

@Injectable()
export class SecurityEventRepository {
  private readonly events: Repository<SecurityEventEntity>;

  /** Over the app's DataSource, or over a transaction's EntityManager. */
  constructor(@Inject(DataSource) dataSource: DataSource | EntityManager) {
    this.events = dataSource.getRepository(SecurityEventEntity);
  }

  async record(...events: NewSecurityEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.events.insert(events.map((event) => ({ id: randomUUID(), ...event })));
  }

  /**
   * Raises the count of the device's newest `type` event at or after `since` to `occurrences`
   * (never lowers it): a run of the same event recorded as one row. False when there is no such
   * event (the run's first one is not written yet, or the run is older).
   */
  async countRun(deviceId: string, type: SecurityEventType, since: number, occurrences: number): Promise<boolean> {
    const newest = await this.events.findOne({
      select: { id: true },
      where: { deviceId, type, createdAt: MoreThanOrEqual(since) },
      order: { createdAt: 'DESC', id: 'ASC' },
    });
    if (!newest) return false;
    const { affected } = await this.events.update({ id: newest.id, occurrences: LessThan(occurrences) }, { occurrences });
    return affected === 1;
  }

  /** The account's newest events of every type but `type`, newest first. */
  listForUserExcept(userId: string, type: SecurityEventType, limit: number): Promise<SecurityEventEntity[]> {
    return this.events.find({ where: { userId, type: Not(type) }, order: { createdAt: 'DESC', id: 'ASC' }, take: limit });
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
