import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager, type Repository } from 'typeorm';
import { UserEntity, type AccountRole } from '../entities/user.entity.js';
import type { Statement } from '../atomic-statements.js';
import { isUniqueViolation } from '../sql.js';

/** A new account: not verified, not deleted, a plain `user` unless said otherwise. */
export type NewUser = Omit<UserEntity, 'role' | 'emailVerifiedAt' | 'deletedAt'> & Partial<Pick<UserEntity, 'emailVerifiedAt'>>;

@Injectable()
export class UserRepository {
  private readonly users: Repository<UserEntity>;

  /** Over the app's DataSource, or over a transaction's EntityManager. */
  constructor(@Inject(DataSource) dataSource: DataSource | EntityManager) {
    this.users = dataSource.getRepository(UserEntity);
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
  insertStatement(user: NewUser): Statement {
    return {
      sql: `INSERT INTO users (id, email, password_hash, created_at, password_changed_at, role, email_verified_at, deleted_at)
            VALUES (:id, :email, :passwordHash, :createdAt, :passwordChangedAt, 'user', :emailVerifiedAt, NULL)`,
      parameters: { emailVerifiedAt: null, ...user },
    };
  }

  /** Marks the address verified (once: a second use changes nothing). */
  markEmailVerifiedStatement(id: string, at: number): Statement {
    return {
      sql: 'UPDATE users SET email_verified_at = :at WHERE id = :id AND email_verified_at IS NULL AND deleted_at IS NULL',
      parameters: { id, at },
    };
  }

  /** A reset: the new hash, and the address verified (the reset link reached it). Rolls back a group if the account is gone. */
  resetPasswordStatement(id: string, passwordHash: string, at: number): Statement {
    return {
      sql: `UPDATE users SET password_hash = :passwordHash, password_changed_at = :at, email_verified_at = COALESCE(email_verified_at, :at)
            WHERE id = :id AND deleted_at IS NULL`,
      parameters: { id, passwordHash, at },
      mustChange: true,
    };
  }

  /** The confirmed new address, verified; a group fails with a unique violation if it was taken meanwhile. */
  changeEmailStatement(id: string, email: string, at: number): Statement {
    return {
      sql: 'UPDATE users SET email = :email, email_verified_at = :at WHERE id = :id AND deleted_at IS NULL',
      parameters: { id, email, at },
      mustChange: true,
    };
  }

  /**
   * A deleted account's tombstone: ids only. Its email becomes `deleted:<id>` (no address can
   * equal it, so the address can register again), its password hash empty (no password verifies).
   */
  tombstoneStatement(id: string, at: number): Statement {
    return {
      sql: `UPDATE users SET email = :tombstone, password_hash = '', email_verified_at = NULL, deleted_at = :at, role = 'user'
            WHERE id = :id AND deleted_at IS NULL`,
      parameters: { id, at, tombstone: `deleted:${id}` },
      mustChange: true,
    };
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
    const result = await this.users.update({ id, passwordHash: currentHash }, { passwordHash, passwordChangedAt: changedAt });
    return (result.affected ?? 0) > 0;
  }

  /** Whether the account's password hash is still `hash` (no change since it was read). */
  async hasPasswordHash(id: string, hash: string): Promise<boolean> {
    return this.users.existsBy({ id, passwordHash: hash });
  }

  /** Gives the account `role`; false when it already had it (nothing written) or does not exist. */
  async setRole(id: string, role: AccountRole): Promise<boolean> {
    const result = await this.users
      .createQueryBuilder()
      .update(UserEntity)
      .set({ role })
      .where('id = :id AND role <> :role', { id, role })
      .execute();
    return (result.affected ?? 0) > 0;
  }
}
