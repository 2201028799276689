import type { KeyPair } from 'dpop';

/**
 * Where the client keeps its session between launches: any object with the async shape of
 * `localStorage` / React Native's AsyncStorage. Values are strings (JSON written by the client).
 *
 * Optional parts:
 * - `lock(name, fn)`: runs `fn` while no other holder of `name` runs, across every client
 *   instance sharing this storage (Web Locks in browsers, an in-process queue in MemoryStorage).
 *   With it, several AuthClient instances (tabs, workers) share one refresh instead of racing.
 * - `getKey` / `setKey` / `removeKey`: keep a DPoP key pair. A non-extractable CryptoKey cannot
 *   be turned into a string, so it needs storage that holds objects (IndexedDB stores CryptoKeys
 *   by structured clone; MemoryStorage keeps the object). Without them the key lives as long as
 *   the AuthClient instance, and a bound session found in storage after a restart ends with the
 *   reason `key_unavailable`.
 */
/** A WebCrypto key pair (the DOM's CryptoKeyPair, as the `dpop` package types it without DOM typings). */
export type StoredKeyPair = KeyPair;

export interface AuthStorage {
  getItem(key: string): Promise<string | null> | string | null;
  setItem(key: string, value: string): Promise<void> | void;
  removeItem(key: string): Promise<void> | void;
  lock?<T>(name: string, fn: () => Promise<T>): Promise<T>;
  getKey?(name: string): Promise<StoredKeyPair | null | undefined>;
  setKey?(name: string, keyPair: StoredKeyPair): Promise<void>;
  removeKey?(name: string): Promise<void>;
}
