/** An account's role: operators may act on other accounts from the dashboard (granted only from the command line). */
export type AccountRole = 'user' | 'operator';

/** Where a request came from, as recorded on devices and security events. */
export interface RequestOrigin {
  readonly ip: string | null;
  readonly userAgent: string | null;
}

/**
 * Who acts: a signed-in account, from one of its devices, with its role, from an address.
 * Each app resolves it once per request — the API from the verified access token, the
 * dashboard from its session — and hands it to services with `@CurrentActor()`. Services
 * decide from it what is allowed and record it on the security events they write.
 */
export interface Actor extends RequestOrigin {
  readonly kind: 'account';
  readonly userId: string;
  readonly deviceId: string;
  /** Access tokens carry no role: the API's actors are always `user`; the dashboard reads the stored role. */
  readonly role: AccountRole;
  /** When the user last actively authenticated on this device (epoch ms; 0: unknown), for step-up (RFC 9470). */
  readonly authTime: number;
  /** Whether the device is bound to a DPoP key (its challenges use the `DPoP` scheme). */
  readonly keyBound: boolean;
}

/** A request from nobody signed in (registration, sign-in, refresh, RFC 7009 revoke). */
export interface AnonymousActor extends RequestOrigin {
  readonly kind: 'anonymous';
}

/** The service itself: reuse detection, a sign-in overtaken by a password change. */
export interface SystemActor {
  readonly kind: 'system';
}

export type AnyActor = Actor | AnonymousActor | SystemActor;

export const SYSTEM_ACTOR: SystemActor = { kind: 'system' };

export function anonymous(origin: RequestOrigin): AnonymousActor {
  return { kind: 'anonymous', ip: origin.ip, userAgent: origin.userAgent };
}

/** Whose turn and whose count a request takes: the client's address ('unknown' when there is none). */
export function clientAddressOf(origin: RequestOrigin): string {
  return origin.ip ?? 'unknown';
}

/** The request's actor, set by the app's guard: `request.actor`. */
export interface ActorRequest {
  actor?: Actor;
}
