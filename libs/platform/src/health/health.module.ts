import { Module } from '@nestjs/common';
import { HealthController } from './health.controller.js';

/** `GET /health`, `/health/live` and `/health/ready` for an app that imports it (the database is asked through DatabaseHealth, which PersistenceModule provides). */
@Module({ controllers: [HealthController] })
export class HealthModule {}
