export { SecurityEventRecorder, type SecurityEventSubject } from './security-event.recorder.js';
export { SecurityEventsModule } from './security-events.module.js';
export { securityWebhookBody, signSecurityWebhookBody, type SecurityWebhookPayload } from './webhook/security-webhook-body.js';
export { securityWebhookRetryDelayMs } from './webhook/security-webhook-retry.js';
