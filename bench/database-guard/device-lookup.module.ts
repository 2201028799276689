import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { DeviceLookupGuard } from './device-lookup.guard.js';

/**
 * Registers DeviceLookupGuard as a global guard. Appended last to ApiModule's imports, after
 * AuthApiModule, so Nest applies it after the access-token guard (global guards run in the order
 * their modules were scanned); the guard fails closed if that order ever changes.
 */
@Module({ providers: [{ provide: APP_GUARD, useClass: DeviceLookupGuard }] })
export class DeviceLookupModule {}
