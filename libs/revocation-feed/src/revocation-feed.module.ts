import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { RevocationFeedCredentialGuard } from './revocation-feed-credential.guard.js';
import { RevocationFeedController } from './revocation-feed.controller.js';
import { RevocationFeedService } from './revocation-feed.service.js';
import { RevocationLogPruner } from './revocation-log.pruner.js';

/**
 * `GET /revocations`: the revoked-device feed for services outside this deployment (API.md,
 * Revocation outside the API), read from the revocation log that a database trigger fills, and
 * the log's pruning. Built on auth's revocation set (what is still worth telling); nothing in
 * auth depends on it.
 */
@Module({
  imports: [AuthModule],
  controllers: [RevocationFeedController],
  providers: [RevocationFeedService, RevocationFeedCredentialGuard, RevocationLogPruner],
})
export class RevocationFeedModule {}
