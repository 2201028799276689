import { Injectable } from '@nestjs/common';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { randomUUID } from 'node:crypto';
import {
  isUniqueViolation,
  PasskeyChallengeRepository,
  PasskeyRepository,
  UserRepository,
  type PasskeyEntity,
  type UserEntity,
} from '@app/persistence';
import { AppConfig, Clock, anonymous, type Actor, type RequestOrigin } from '@app/platform';
import { SecurityEventRecorder } from '@app/security-events';
import { AuthService, type DeviceDescription } from '../login/auth.service.js';
import type { DpopRequest } from '../dpop/dpop-request.js';
import type { TokenResponse } from '../tokens/token-response.js';
import { PasskeyAlreadyRegistered, PasskeyNotFound, PasskeyRejected } from './passkey.errors.js';

/** How long a ceremony's challenge is good (API.md: 5 minutes); also the options' `timeout`. */
export const PASSKEY_CHALLENGE_TTL_MS = 5 * 60_000;

/** A passkey as `GET /account/passkeys` lists it. */
export interface PasskeyView {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

/** `POST /auth/passkey/options`. */
export interface PasskeySignInOptions {
  readonly challengeId: string;
  readonly options: PublicKeyCredentialRequestOptionsJSON;
}

/**
 * Passkeys (API.md § Strong authentication): WebAuthn discoverable credentials with user
 * verification, added to and removed from an account (step-up), and signed in with alone.
 * Every response is judged by @simplewebauthn/server alone (verifyRegistrationResponse,
 * verifyAuthenticationResponse), against a challenge this service issued and stored: spent by
 * one conditional statement before or as it is checked, so a challenge verifies at most once,
 * whichever process it comes back to.
 */
@Injectable()
export class PasskeyService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly users: UserRepository,
    private readonly passkeys: PasskeyRepository,
    private readonly challenges: PasskeyChallengeRepository,
    private readonly auth: AuthService,
    private readonly events: SecurityEventRecorder,
  ) {}

  /** `POST /account/passkeys/options` (step-up): options to create a passkey, the account's own excluded. */
  async registrationOptions(actor: Actor): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const user = await this.accountOf(actor);
    const existing = await this.passkeys.listForUser(user.id);
    const options = await generateRegistrationOptions({
      rpName: this.config.webAuthn.rpName,
      rpID: this.config.webAuthn.rpId,
      userName: user.email,
      userID: userHandleBytes(user.id),
      timeout: PASSKEY_CHALLENGE_TTL_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: transportsOf(passkey) })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    await this.storeChallenge('registration', user.id, options.challenge);
    return options;
  }

  /**
   * `POST /account/passkeys` (step-up): verifies the authenticator's response to a registration
   * challenge issued to this account and stores the credential (event `passkey_added`).
   */
  async register(actor: Actor, response: RegistrationResponseJSON, name: string | undefined): Promise<PasskeyView> {
    const user = await this.accountOf(actor);
    const now = this.clock.now();
    let credential: WebAuthnCredential;
    try {
      const verification = await verifyRegistrationResponse({
        response,
        // Called with the challenge the client signed: spent here, if it was issued to this account and is still good.
        expectedChallenge: (challenge) => this.challenges.spendRegistration(challenge, user.id, now),
        expectedOrigin: [...this.config.webAuthn.origins],
        expectedRPID: this.config.webAuthn.rpId,
        requireUserVerification: true,
      });
      if (!verification.verified) throw new PasskeyRejected();
      credential = verification.registrationInfo.credential;
    } catch {
      throw new PasskeyRejected();
    }
    const passkey: PasskeyEntity = {
      id: randomUUID(),
      userId: user.id,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: (credential.transports ?? []).join(','),
      name: name ?? 'Passkey',
      createdAt: now,
      lastUsedAt: null,
    };
    try {
      await this.passkeys.insert(passkey);
    } catch (error) {
      if (isUniqueViolation(error)) throw new PasskeyAlreadyRegistered();
      throw error;
    }
    await this.events.record(actor, { type: 'passkey_added', userId: user.id });
    return viewOf(passkey);
  }

  /** `GET /account/passkeys`. */
  async list(actor: Actor): Promise<PasskeyView[]> {
    return (await this.passkeys.listForUser(actor.userId)).map(viewOf);
  }

  /** `DELETE /account/passkeys/:id` (step-up; event `passkey_removed`): it signs nothing in from now on. */
  async remove(actor: Actor, id: string): Promise<void> {
    if (!(await this.passkeys.delete(id, actor.userId))) throw new PasskeyNotFound();
    await this.events.record(actor, { type: 'passkey_removed', userId: actor.userId });
  }

  /** `POST /auth/passkey/options`: a challenge for any of the relying party's passkeys (no allowCredentials: discoverable). */
  async signInOptions(): Promise<PasskeySignInOptions> {
    const options = await generateAuthenticationOptions({
      rpID: this.config.webAuthn.rpId,
      userVerification: 'required',
      timeout: PASSKEY_CHALLENGE_TTL_MS,
    });
    return { challengeId: await this.storeChallenge('authentication', null, options.challenge), options };
  }

  /**
   * `POST /auth/passkey/login`: signs a new device in with the passkey alone (`amr`
   * `hwk,user,mfa`), as AuthService signs in with a password: counted on the client IP's
   * sign-in window first, then the challenge is spent, then the assertion verified.
   */
  signIn(
    challengeId: string,
    response: AuthenticationResponseJSON,
    description: DeviceDescription,
    origin: RequestOrigin,
    dpop: DpopRequest,
  ): Promise<TokenResponse> {
    return this.auth.loginWithAuthenticator(
      () => this.authenticate(challengeId, response, origin),
      ['hwk', 'user', 'mfa'],
      description,
      origin,
      dpop,
    );
  }

  /** The dashboard's "Sign in with a passkey": the same checks and counting, a `dashboard` session (cookies, no DPoP). */
  signInToDashboard(
    challengeId: string,
    response: AuthenticationResponseJSON,
    description: DeviceDescription,
    origin: RequestOrigin,
  ): Promise<TokenResponse> {
    return this.auth.loginWithAuthenticator(
      () => this.authenticate(challengeId, response, origin),
      ['hwk', 'user', 'mfa'],
      description,
      origin,
      null,
      'dashboard',
    );
  }

  /**
   * `POST /auth/reauthenticate` with a passkey assertion (RFC 9470 step-up): the same checks as a
   * passkey sign-in, counted the same way, and the passkey must be the caller's own; the calling
   * device gets a fresh `auth_time` (`amr` `hwk,user,mfa`).
   */
  reauthenticate(actor: Actor, challengeId: string, response: AuthenticationResponseJSON): Promise<TokenResponse> {
    return this.auth.reauthenticateWithAuthenticator(actor, () => this.authenticate(challengeId, response, actor), ['hwk', 'user', 'mfa']);
  }

  /** The account the assertion proves, its passkey's counter and last use recorded; PasskeyRejected otherwise. */
  private async authenticate(challengeId: string, response: AuthenticationResponseJSON, origin: RequestOrigin): Promise<UserEntity> {
    const now = this.clock.now();
    const challenge = await this.challenges.spendAuthentication(challengeId, now);
    if (challenge === null) throw new PasskeyRejected();
    const passkey = typeof response?.id === 'string' ? await this.passkeys.findByCredentialId(response.id) : null;
    const user = passkey ? await this.users.findById(passkey.userId) : null;
    if (!passkey || !user || user.deletedAt !== null) throw new PasskeyRejected();
    // A discoverable credential names its account too: it must be the passkey's.
    const userHandle = response.response?.userHandle;
    if (userHandle !== undefined && userHandle !== Buffer.from(userHandleBytes(user.id)).toString('base64url')) throw new PasskeyRejected();
    const credential: WebAuthnCredential = {
      id: passkey.credentialId,
      publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
      counter: passkey.counter,
      transports: transportsOf(passkey),
    };
    const verified = await this.verifyAssertion(response, challenge, credential);
    if (verified === null) {
      // Would it verify but for its counter? Then the key signed it with a counter that went
      // backwards: two authenticators hold it (a clone). A forgery records nothing.
      if (passkey.counter > 0 && (await this.verifyAssertion(response, challenge, { ...credential, counter: 0 })) !== null) {
        await this.events.record(anonymous(origin), { type: 'passkey_clone_suspected', userId: user.id });
      }
      throw new PasskeyRejected();
    }
    // Conditional on the counter still being below the new one: a use that got further first wins.
    if (!(await this.passkeys.recordUse(passkey.id, verified.newCounter, now))) throw new PasskeyRejected();
    return user;
  }

  /** @simplewebauthn/server's verdict on an assertion: the new counter, or null for any failure. */
  private async verifyAssertion(
    response: AuthenticationResponseJSON,
    expectedChallenge: string,
    credential: WebAuthnCredential,
  ): Promise<{ newCounter: number } | null> {
    try {
      const verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge,
        expectedOrigin: [...this.config.webAuthn.origins],
        expectedRPID: this.config.webAuthn.rpId,
        credential,
        requireUserVerification: true,
      });
      return verification.verified ? { newCounter: verification.authenticationInfo.newCounter } : null;
    } catch {
      return null;
    }
  }

  /** Stores an issued challenge for 5 minutes (forgetting expired ones on the way); its id. */
  private async storeChallenge(purpose: 'registration' | 'authentication', userId: string | null, challenge: string): Promise<string> {
    const now = this.clock.now();
    await this.challenges.deleteExpired(now);
    const id = randomUUID();
    await this.challenges.insert({ id, purpose, userId, challenge, createdAt: now, expiresAt: now + PASSKEY_CHALLENGE_TTL_MS });
    return id;
  }

  private async accountOf(actor: Actor): Promise<UserEntity> {
    const user = await this.users.findById(actor.userId);
    if (!user || user.deletedAt !== null) throw new PasskeyRejected();
    return user;
  }
}

/** The WebAuthn user handle of an account: its id's bytes (no personal data; at most 64 bytes). */
function userHandleBytes(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId, 'utf8'));
}

type Transports = NonNullable<WebAuthnCredential['transports']>;

function transportsOf(passkey: PasskeyEntity): Transports {
  return passkey.transports.split(',').filter((transport) => transport.length > 0) as Transports;
}

function viewOf(passkey: PasskeyEntity): PasskeyView {
  return {
    id: passkey.id,
    name: passkey.name,
    createdAt: new Date(passkey.createdAt).toISOString(),
    lastUsedAt: passkey.lastUsedAt === null ? null : new Date(passkey.lastUsedAt).toISOString(),
  };
}
