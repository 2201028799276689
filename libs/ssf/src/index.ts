export { SsfModule } from './ssf.module.js';
export { SetSigner, SET_TYPE } from './set-signer.js';
export { SsfPushDispatcher } from './push/ssf-push.dispatcher.js';
export { SSF_RECEIVER_SECURITY_SCHEME } from './receivers/ssf-security-scheme.js';
export { hashReceiverToken } from './receivers/ssf-receiver.guard.js';
export {
  ACCOUNT_PURGED,
  CREDENTIAL_CHANGE,
  EVENTS_SUPPORTED,
  POLL_DELIVERY,
  PUSH_DELIVERY,
  SESSION_REVOKED,
  VERIFICATION,
} from './events/ssf-event-types.js';
