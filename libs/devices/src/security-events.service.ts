import { Injectable } from '@nestjs/common';
import { SecurityEventRepository, type SecurityEventEntity } from '@app/persistence';

/** An account's security activity, newest first (read by the dashboard). */
@Injectable()
export class SecurityEventsService {
  constructor(private readonly events: SecurityEventRepository) {}

  recent(userId: string, limit = 50): Promise<SecurityEventEntity[]> {
    return this.events.listForUser(userId, limit);
  }
}
