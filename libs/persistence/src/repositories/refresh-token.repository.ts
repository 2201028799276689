import { Injectable } from '@nestjs/common';
import { DataSource, In, IsNull, type Repository } from 'typeorm';
import { RefreshTokenEntity } from '../entities/refresh-token.entity.js';

export interface Rotation {
  readonly successorId: string;
  readonly sealedSuccessor: string;
  readonly at: number;
}

/**
 * Each method is one atomic statement; the rotation protocol in RefreshTokenService orders
 * them so that no interleaving of concurrent requests (or processes) can fork a chain.
 */
@Injectable()
export class RefreshTokenRepository {
  private readonly tokens: Repository<RefreshTokenEntity>;

  constructor(dataSource: DataSource) {
    this.tokens = dataSource.getRepository(RefreshTokenEntity);
  }

  async insert(token: RefreshTokenEntity): Promise<void> {
    await this.tokens.insert(token);
  }

  findByHash(tokenHash: string): Promise<RefreshTokenEntity | null> {
    return this.tokens.findOneBy({ tokenHash });
  }

  findById(id: string): Promise<RefreshTokenEntity | null> {
    return this.tokens.findOneBy({ id });
  }

  /**
   * Spends a live token in favour of its successor: `UPDATE … WHERE id = ? AND rotated_at IS
   * NULL`. Of any number of concurrent calls for one token exactly one returns true.
   */
  async rotate(id: string, rotation: Rotation): Promise<boolean> {
    const result = await this.tokens.update(
      { id, rotatedAt: IsNull() },
      { rotatedAt: rotation.at, replacedById: rotation.successorId, sealedSuccessor: rotation.sealedSuccessor },
    );
    return result.affected === 1;
  }

  async delete(id: string): Promise<void> {
    await this.tokens.delete({ id });
  }

  /** Spends every live token of these devices (their sessions were revoked). */
  async spendAllOfDevices(deviceIds: readonly string[], at: number): Promise<void> {
    if (deviceIds.length === 0) return;
    await this.tokens.update({ deviceId: In([...deviceIds]), rotatedAt: IsNull() }, { rotatedAt: at });
  }
}
