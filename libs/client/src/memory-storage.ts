import { LockQueue } from './lock-queue.js';
import type { AuthStorage, StoredKeyPair } from './storage.js';

/**
 * The default storage: a Map, so the session lives as long as the object. Share one instance
 * between AuthClients to share their session; its `lock` queues holders of one name in order.
 */
export class MemoryStorage implements AuthStorage {
  private readonly items = new Map<string, string>();
  private readonly keys = new Map<string, StoredKeyPair>();
  private readonly locks = new LockQueue();

  async getItem(key: string): Promise<string | null> {
    return this.items.get(key) ?? null;
  }

  async setItem(key: string, value: string): Promise<void> {
    this.items.set(key, value);
  }

  async removeItem(key: string): Promise<void> {
    this.items.delete(key);
  }

  async getKey(name: string): Promise<StoredKeyPair | undefined> {
    return this.keys.get(name);
  }

  async setKey(name: string, keyPair: StoredKeyPair): Promise<void> {
    this.keys.set(name, keyPair);
  }

  async removeKey(name: string): Promise<void> {
    this.keys.delete(name);
  }

  lock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(name, fn);
  }
}
