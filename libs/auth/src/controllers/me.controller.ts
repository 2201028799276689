import { Controller, Get } from '@nestjs/common';
import { CurrentPrincipal } from '../decorators/current-principal.decorator.js';
import type { AccessPrincipal } from '../tokens/access-principal.js';

/** The model guarded resource: answered from the verified token alone, no database query. */
@Controller('me')
export class MeController {
  @Get()
  me(@CurrentPrincipal() principal: AccessPrincipal): { userId: string; deviceId: string; expiresAt: string } {
    return { userId: principal.userId, deviceId: principal.deviceId, expiresAt: new Date(principal.expiresAt).toISOString() };
  }
}
