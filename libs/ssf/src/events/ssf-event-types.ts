/** CAEP 1.0 §3.1: a session was revoked. */
export const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
/** CAEP 1.0 §3.3: a credential was created, changed or removed. */
export const CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';
/** RISC 1.0 §2.2: the account was deleted. */
export const ACCOUNT_PURGED = 'https://schemas.openid.net/secevent/risc/event-type/account-purged';
/** SSF 1.0 §8.1.4.1: the verification event (always delivered, never requested). */
export const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

/** What a stream may ask for (`events_supported`). The migration's triggers match exactly these URIs. */
export const EVENTS_SUPPORTED: readonly string[] = [SESSION_REVOKED, CREDENTIAL_CHANGE, ACCOUNT_PURGED];

/** RFC 8935 push, RFC 8936 poll (SSF 1.0 §8.1.1 `delivery.method`). */
export const PUSH_DELIVERY = 'urn:ietf:rfc:8935';
export const POLL_DELIVERY = 'urn:ietf:rfc:8936';
