import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../decorators/current-principal.decorator.js';
import { ApiAccessToken } from '../openapi/api-access-token.decorator.js';
import { AccessPrincipalSchema } from '../openapi/access-principal.schema.js';
import type { AccessPrincipal } from '../tokens/access-principal.js';

/** The model guarded resource: answered from the verified token alone, no database query. */
@ApiTags('auth')
@Controller('me')
export class MeController {
  @Get()
  @ApiOperation({
    operationId: 'getMe',
    summary: 'Who the access token speaks for',
    description: 'Answered from the verified token alone, without a database query.',
  })
  @ApiAccessToken()
  @ApiOkResponse({ type: AccessPrincipalSchema })
  me(@CurrentPrincipal() principal: AccessPrincipal): { userId: string; deviceId: string; expiresAt: string } {
    return { userId: principal.userId, deviceId: principal.deviceId, expiresAt: new Date(principal.expiresAt).toISOString() };
  }
}
