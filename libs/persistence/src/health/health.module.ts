import { Module } from '@nestjs/common';
import { HealthController } from './health.controller.js';

/** `GET /health`, `/health/live` and `/health/ready` for an app that imports it (importing PersistenceModule alone mounts no route). */
@Module({ controllers: [HealthController] })
export class HealthModule {}
