import { Injectable } from '@nestjs/common';
import { UserRepository } from '@app/persistence';
import { normalizeAccountEmail, type Actor } from '@app/platform';
import { DeviceNotFound } from '../device-not-found.error.js';
import { mayInspectAccount } from '../account-policy.js';

export interface AccountSummary {
  readonly id: string;
  readonly email: string;
}

/** One page of a search, and where the next one starts (null: this is the last). */
export interface AccountSearchPage {
  readonly accounts: AccountSummary[];
  readonly nextAfter: string | null;
}

const PAGE_SIZE = 25;
/** No stored email is longer (RFC 5321's path limit, as registration enforces). */
const MAX_EMAIL_LENGTH = 254;

/** Finding other people's accounts: an operator capability (anyone else finds nothing). */
@Injectable()
export class AccountSearchService {
  constructor(private readonly users: UserRepository) {}

  /**
   * For an operator, a page of the accounts whose email starts with `prefix`, normalised as
   * emails are (so "ANN@" finds ann@…), after the email `after`; nothing for anyone else, and
   * nothing for a prefix no email can start with (too long, or a forbidden character).
   */
  async search(actor: Actor, prefix: string, after: string | null = null, pageSize = PAGE_SIZE): Promise<AccountSearchPage> {
    const normalized = normalizeAccountEmail(prefix);
    if (actor.role !== 'operator' || !normalized || normalized.length > MAX_EMAIL_LENGTH) return { accounts: [], nextAfter: null };
    const users = await this.users.searchByEmailPrefix(normalized, after?.slice(0, MAX_EMAIL_LENGTH + 1) ?? null, pageSize + 1);
    const accounts = users.slice(0, pageSize).map((user) => ({ id: user.id, email: user.email }));
    return { accounts, nextAfter: users.length > pageSize ? accounts[accounts.length - 1].email : null };
  }

  /** One account, if the actor may look into it (its own, or any for an operator). */
  async get(actor: Actor, userId: string): Promise<AccountSummary> {
    const user = mayInspectAccount(actor, userId) ? await this.users.findById(userId) : null;
    if (!user) throw new DeviceNotFound();
    return { id: user.id, email: user.email };
  }
}
