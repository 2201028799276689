// The webhook's retry schedule is the outbox's (outbox/outbox-retry.ts), shared with the SSF push delivery.
export { outboxRetryDelayMs as securityWebhookRetryDelayMs } from '../outbox/outbox-retry.js';
