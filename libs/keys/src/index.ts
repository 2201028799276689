export { KeysModule } from './keys.module.js';
export { KeyRing, type KeyListing, type PublishedJwk, type SigningKey } from './key-ring.js';
export { SigningKeys, StaticKeyConfigured, type KeyChangeActor } from './signing-keys.service.js';
export { SigningKeySync } from './signing-key-sync.js';
export type { KeyState, KeyStatus } from './key-schedule.js';
export { KeySealer } from './key-sealer.js';
