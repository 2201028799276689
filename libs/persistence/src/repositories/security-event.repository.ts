import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import { SecurityEventEntity } from '../entities/security-event.entity.js';

export type NewSecurityEvent = Omit<SecurityEventEntity, 'id'>;

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

  /** The account's events, newest first. */
  listForUser(userId: string, limit: number): Promise<SecurityEventEntity[]> {
    return this.events.find({ where: { userId }, order: { createdAt: 'DESC', id: 'ASC' }, take: limit });
  }
}
