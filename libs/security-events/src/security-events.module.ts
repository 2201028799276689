import { Module } from '@nestjs/common';
import { SecurityEventRecorder } from './security-event.recorder.js';
import { SecurityWebhookDispatcher } from './webhook/security-webhook.dispatcher.js';

/**
 * Security events: the one recorder every state change writes through, and the webhook that
 * delivers them from the outbox in the background (every app that imports this dispatches).
 * Needs PlatformModule and PersistenceModule in the app.
 */
@Module({
  providers: [SecurityEventRecorder, SecurityWebhookDispatcher],
  exports: [SecurityEventRecorder],
})
export class SecurityEventsModule {}
