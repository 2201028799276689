import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { UserEntity } from '../entities/user.entity.js';
import { isUniqueViolation } from '../sql.js';

@Injectable()
export class UserRepository {
  private readonly users: Repository<UserEntity>;

  constructor(dataSource: DataSource) {
    this.users = dataSource.getRepository(UserEntity);
  }

  /** Inserts the user; false when the email is already registered. */
  async insertIfEmailFree(user: UserEntity): Promise<boolean> {
    try {
      await this.users.insert(user);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ email });
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  async updatePasswordHash(id: string, passwordHash: string, changedAt: number): Promise<void> {
    await this.users.update({ id }, { passwordHash, passwordChangedAt: changedAt });
  }
}
