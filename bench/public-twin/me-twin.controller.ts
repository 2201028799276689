import { Controller, createParamDecorator, Get } from '@nestjs/common';
import { Public } from '@app/platform';

const PRINCIPAL = {
  userId: '00000000-0000-4000-8000-000000000001',
  deviceId: '00000000-0000-4000-8000-000000000002',
  expiresAt: Date.now() + 900_000,
};

/** As @CurrentPrincipal() (a custom parameter decorator), with a constant principal. */
export const TwinPrincipal = createParamDecorator(() => PRINCIPAL);

/**
 * GET /me-twin: MeController's handler and response, `@Public()`: the same route shape, the
 * same global guard (which lets a public route through at once), the same kind of parameter
 * decorator and the same JSON, with the principal a constant instead of the verified token's.
 * `GET /me ÷ GET /me-twin` is the cost of the guard alone (BENCHMARKS.md, figure 1).
 */
@Public()
@Controller('me-twin')
export class MeTwinController {
  @Get()
  me(@TwinPrincipal() principal: typeof PRINCIPAL): { userId: string; deviceId: string; expiresAt: string } {
    return { userId: principal.userId, deviceId: principal.deviceId, expiresAt: new Date(principal.expiresAt).toISOString() };
  }
}
