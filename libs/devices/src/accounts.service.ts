import { Injectable } from '@nestjs/common';
import type { Actor } from '@app/auth';
import { UserRepository } from '@app/persistence';
import { DeviceNotFound } from './device-not-found.error.js';
import { mayInspectAccount } from './device-policy.js';

export interface AccountSummary {
  readonly id: string;
  readonly email: string;
}

const MAX_RESULTS = 25;

/** Finding other people's accounts: an operator capability (anyone else finds nothing). */
@Injectable()
export class AccountsService {
  constructor(private readonly users: UserRepository) {}

  /** Accounts whose email contains `fragment`, for an operator; nothing for anyone else. */
  async search(actor: Actor, fragment: string): Promise<AccountSummary[]> {
    if (actor.role !== 'operator' || fragment.length === 0) return [];
    const users = await this.users.searchByEmail(fragment, MAX_RESULTS);
    return users.map((user) => ({ id: user.id, email: user.email }));
  }

  /** One account, if the actor may look into it (its own, or any for an operator). */
  async get(actor: Actor, userId: string): Promise<AccountSummary> {
    const user = mayInspectAccount(actor, userId) ? await this.users.findById(userId) : null;
    if (!user) throw new DeviceNotFound();
    return { id: user.id, email: user.email };
  }
}
