import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager, type Repository } from 'typeorm';
import { UserEntity, type AccountRole } from '../entities/user.entity.js';
import { isUniqueViolation, SqlRunner } from '../sql/sql-runner.js';
import { bind, type BoundStatement } from '../sql/sql-statement.js';
import {
  CHANGE_EMAIL,
  INSERT_USER,
  MARK_EMAIL_VERIFIED,
  REPLACE_PASSWORD_HASH,
  RESET_PASSWORD,
  SET_ACCOUNT_ROLE,
  TOMBSTONE_USER,
} from '../sql/users.sql.js';

/** A new account: not verified, not deleted, a plain `user` unless said otherwise. */
export type NewUser = Omit<UserEntity, 'role' | 'emailVerifiedAt' | 'deletedAt'> & Partial<Pick<UserEntity, 'emailVerifiedAt'>>;

@Injectable()
export class UserRepository {
  private readonly users: Repository<UserEntity>;

  private readonly sql: SqlRunner;

  /** Over the app's DataSource, or over a transaction's EntityManager. */
  constructor(@Inject(DataSource) dataSource: DataSource | EntityManager) {
    this.users = dataSource.getRepository(UserEntity);
    this.sql = new SqlRunner(dataSource);
  }

  /** Inserts the user, always as a plain `user` (no sign-up makes an operator); false when the email is already registered. */
  async insertIfEmailFree(user: NewUser): Promise<boolean> {
    try {
      await this.users.insert({ emailVerifiedAt: null, deletedAt: null, ...user, role: 'user' });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** The INSERT of a new account (a plain `user`), for a group; a taken email fails it with a unique violation. */
  insertStatement(user: NewUser): BoundStatement {
    const { id, email, passwordHash, createdAt, passwordChangedAt } = user;
    return bind(INSERT_USER, { id, email, passwordHash, createdAt, passwordChangedAt, emailVerifiedAt: user.emailVerifiedAt ?? null });
  }

  /** Marks the address verified (once: a second use changes nothing). */
  markEmailVerifiedStatement(id: string, at: number): BoundStatement {
    return bind(MARK_EMAIL_VERIFIED, { id, at });
  }

  /** A reset: the new hash, and the address verified (the reset link reached it). Rolls back a group if the account is gone. */
  resetPasswordStatement(id: string, passwordHash: string, at: number): BoundStatement {
    return bind(RESET_PASSWORD, { id, passwordHash, at }, { mustChange: true });
  }

  /** The confirmed new address, verified; a group fails with a unique violation if it was taken meanwhile. */
  changeEmailStatement(id: string, email: string, at: number): BoundStatement {
    return bind(CHANGE_EMAIL, { id, email, at }, { mustChange: true });
  }

  /** The deleted account's tombstone (see TOMBSTONE_USER); rolls back a group if it was already deleted. */
  tombstoneStatement(id: string, at: number): BoundStatement {
    return bind(TOMBSTONE_USER, { id, at, tombstone: `deleted:${id}` }, { mustChange: true });
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ email });
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  /**
   * One page of the accounts whose (normalised) email starts with `prefix`, in email order,
   * after the email `after` (keyset paging: a page is stable however many accounts are added
   * before it, and costs the same on page 1 and page 1000).
   */
  searchByEmailPrefix(prefix: string, after: string | null, limit: number): Promise<UserEntity[]> {
    // The operator's text is a literal: LIKE wildcards in it are escaped (ESCAPE works on both drivers).
    const pattern = `${prefix.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
    const query = this.users.createQueryBuilder('account').where("account.email LIKE :pattern ESCAPE '\\'", { pattern });
    if (after !== null) query.andWhere('account.email > :after', { after });
    return query.orderBy('account.email', 'ASC').limit(limit).getMany();
  }

  /** The accounts with these ids (for showing emails beside events); unknown ids are left out. */
  findByIds(ids: readonly string[]): Promise<UserEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.users.findBy({ id: In([...ids]) });
  }

  countAccounts(): Promise<number> {
    return this.users.count();
  }

  /**
   * Replaces the password hash only if it is still `currentHash` (one conditional UPDATE), so
   * of two concurrent changes that both checked the old password exactly one wins.
   */
  async replacePasswordHash(id: string, currentHash: string, passwordHash: string, changedAt: number): Promise<boolean> {
    return (await this.sql.affected(REPLACE_PASSWORD_HASH, { id, currentHash, passwordHash, changedAt })) > 0;
  }

  /** Whether the account's password hash is still `hash` (no change since it was read). */
  async hasPasswordHash(id: string, hash: string): Promise<boolean> {
    return this.users.existsBy({ id, passwordHash: hash });
  }

  /** Gives the account `role`; false when it already had it (nothing written) or does not exist. */
  async setRole(id: string, role: AccountRole): Promise<boolean> {
    return (await this.sql.affected(SET_ACCOUNT_ROLE, { id, role })) > 0;
  }
}
