import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { SetQueueWatch } from './events/set-queue-watch.js';
import { SsfPollController } from './poll/ssf-poll.controller.js';
import { SsfPollService } from './poll/ssf-poll.service.js';
import { SsfPushDispatcher } from './push/ssf-push.dispatcher.js';
import { SsfReceiverGuard } from './receivers/ssf-receiver.guard.js';
import { SetSigner } from './set-signer.js';
import { SsfStreamsController } from './streams/ssf-streams.controller.js';
import { SsfStreamsService } from './streams/ssf-streams.service.js';
import { SsfConfigurationController } from './transmitter/ssf-configuration.controller.js';

/**
 * The Shared Signals transmitter (API.md § Shared Signals): metadata, the receivers' stream
 * management, RFC 8936 poll and RFC 8935 push of the SETs that database triggers queue for every
 * device revocation and credential change. Built on auth's revocation set (to hear of
 * revocations at once); nothing in auth depends on it. On only with an asymmetric signing key.
 */
@Module({
  imports: [AuthModule],
  controllers: [SsfConfigurationController, SsfStreamsController, SsfPollController],
  providers: [SetSigner, SetQueueWatch, SsfReceiverGuard, SsfStreamsService, SsfPollService, SsfPushDispatcher],
  exports: [SsfPushDispatcher],
})
export class SsfModule {}
