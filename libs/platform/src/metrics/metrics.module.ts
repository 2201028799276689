import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';

/** Mounts `GET /metrics` in the app that imports it (the registry itself is PlatformModule's). */
@Module({ controllers: [MetricsController] })
export class MetricsModule {}
