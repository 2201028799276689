export { SecurityEventRecorder, type SecurityEventSubject } from './security-event.recorder.js';
export { SecurityEventsModule } from './security-events.module.js';
export { securityWebhookBody, signSecurityWebhookBody, type SecurityWebhookPayload } from './webhook/security-webhook-body.js';
export { outboxRetryDelayMs, outboxRetryDelayMs as securityWebhookRetryDelayMs } from './outbox/outbox-retry.js';
export { OutboxWorker, type OutboxQueue, type OutboxSend, type OutboxWorkerSettings } from './outbox/outbox-worker.js';
export { postOutboxRequest, OUTBOX_REQUEST_TIMEOUT_MS } from './outbox/outbox-request.js';
