import { Module } from '@nestjs/common';
import { SecurityEventsModule } from '@app/security-events';
import { KeyRing } from './key-ring.js';
import { SigningKeySync } from './signing-key-sync.js';
import { SigningKeys } from './signing-keys.service.js';

/**
 * Access-token signing keys (API.md § Signing keys and their rotation): the in-memory KeyRing
 * every token is signed and verified with, its sync, and the managed keys' life. Needs
 * PlatformModule and PersistenceModule in the app.
 */
@Module({
  imports: [SecurityEventsModule],
  providers: [KeyRing, SigningKeys, SigningKeySync],
  exports: [KeyRing, SigningKeys, SigningKeySync],
})
export class KeysModule {}
