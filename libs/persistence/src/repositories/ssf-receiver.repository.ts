import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import { SsfReceiverEntity } from '../entities/ssf-receiver.entity.js';

/** The Shared Signals receivers (migration 1765500000000): added and removed by the `ssf` command only. */
@Injectable()
export class SsfReceiverRepository {
  private readonly receivers: Repository<SsfReceiverEntity>;

  constructor(dataSource: DataSource) {
    this.receivers = dataSource.getRepository(SsfReceiverEntity);
  }

  /** Registers a receiver; a name already taken throws a unique violation (isUniqueViolation). */
  async add(receiver: SsfReceiverEntity): Promise<void> {
    await this.receivers.insert(receiver);
  }

  /** Withdraws the receiver of this name, its streams and their queued SETs with it; false when there was none. */
  async removeByName(name: string): Promise<boolean> {
    return ((await this.receivers.delete({ name })).affected ?? 0) > 0;
  }

  /** The receiver whose token hashes to this (an indexed look-up of a 256-bit token's SHA-256). */
  findByTokenHash(tokenHash: string): Promise<SsfReceiverEntity | null> {
    return this.receivers.findOneBy({ tokenHash });
  }

  list(): Promise<SsfReceiverEntity[]> {
    return this.receivers.find({ order: { name: 'ASC' } });
  }
}
