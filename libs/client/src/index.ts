export { AuthClient, type Account, type AuthClientOptions, type LoginInput, type SignedOutEvent } from './auth-client.js';
export { AuthClientError, AuthHttpError, AuthNetworkError, DpopNotSupportedError, SignedOutError, StepUpRequiredError } from './errors.js';
export { MemoryStorage } from './memory-storage.js';
export type { SignOutReason } from './sign-out-reason.js';
export type { AuthStorage, StoredKeyPair } from './storage.js';
