// The WebAuthn JSON the passkey calls pass between the server and the platform's credential API
// (WebAuthn Level 3 `toJSON()`, base64url strings), typed by shape only: the package depends on
// no WebAuthn library. `@simplewebauthn/browser`'s types and most React Native passkey libraries'
// fit these as they are.

/** What `navigator.credentials.get()` (or a native passkey library) is asked for, as the server sends it. */
export interface PublicKeyCredentialRequestOptionsJSON {
  challenge: string;
  timeout?: number;
  rpId?: string;
  allowCredentials?: { id: string; type: string; transports?: string[] }[];
  userVerification?: 'required' | 'preferred' | 'discouraged';
  hints?: ('hybrid' | 'security-key' | 'client-device')[];
  extensions?: object;
}

/** The authenticator's signed answer (an assertion), as the server takes it. */
export interface AuthenticationResponseJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: {
    clientDataJSON: string;
    authenticatorData: string;
    signature: string;
    userHandle?: string;
  };
  clientExtensionResults?: object;
  authenticatorAttachment?: 'platform' | 'cross-platform';
}

/**
 * The platform's passkey prompt: shows the user their passkeys for the server's relying party
 * and answers the chosen one's assertion. In a browser `(options) => startAuthentication({
 * optionsJSON: options })` of `@simplewebauthn/browser`; in React Native a passkey library's `get`.
 * A rejection (the user cancelled) is passed on to the caller as it is.
 */
export type GetAssertion = (options: PublicKeyCredentialRequestOptionsJSON) => Promise<AuthenticationResponseJSON>;
