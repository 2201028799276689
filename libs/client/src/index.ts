export {
  AuthClient,
  type Account,
  type AuthClientOptions,
  type DeviceInput,
  type LoginInput,
  type ReauthenticateInput,
  type SignedOutEvent,
} from './auth-client.js';
export {
  AuthClientError,
  AuthHttpError,
  AuthNetworkError,
  DpopNotSupportedError,
  InvalidCodeError,
  MfaExpiredError,
  MfaRequiredError,
  PasskeyRejectedError,
  SignedOutError,
  StepUpRequiredError,
} from './errors.js';
export { MemoryStorage } from './memory-storage.js';
export type { SignOutReason } from './sign-out-reason.js';
export type { AuthStorage, StoredKeyPair } from './storage.js';
export type { AuthenticationResponseJSON, GetAssertion, PublicKeyCredentialRequestOptionsJSON } from './webauthn.js';
