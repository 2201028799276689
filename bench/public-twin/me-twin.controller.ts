import { Controller, Get } from '@nestjs/common';
import { Public } from '@app/platform';

/**
 * GET /me-twin: MeController's handler and response, `@Public()`: the same route shape, the
 * same global guard (which lets a public route through at once), the same JSON — with the
 * principal a constant instead of the verified token's. `GET /me ÷ GET /me-twin` is the cost
 * of the guard alone (BENCHMARKS.md, figure 1).
 */
@Public()
@Controller('me-twin')
export class MeTwinController {
  private readonly principal = {
    userId: '00000000-0000-4000-8000-000000000001',
    deviceId: '00000000-0000-4000-8000-000000000002',
    expiresAt: Date.now() + 900_000,
  };

  @Get()
  me(): { userId: string; deviceId: string; expiresAt: string } {
    const principal = this.principal;
    return { userId: principal.userId, deviceId: principal.deviceId, expiresAt: new Date(principal.expiresAt).toISOString() };
  }
}
