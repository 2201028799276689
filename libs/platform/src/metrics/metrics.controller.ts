import { Controller, Get, Header, Headers, NotFoundException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags, type SecuritySchemeObject } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { ApiProblemResponse } from '../openapi/api-responses.decorator.js';
import { AppConfig } from '../config/app-config.js';
import { DomainError } from '../errors/domain-error.js';
import { Public } from '../public.decorator.js';
import { MetricsRegistry } from './metrics-registry.js';

class MetricsTokenInvalid extends DomainError {
  readonly category = 'unauthenticated';
  readonly code = 'metrics-token-invalid';
  constructor() {
    super('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.');
    this.headers = { 'WWW-Authenticate': 'Bearer realm="metrics"' };
  }
}

/** The OpenAPI security scheme of `GET /metrics` (the API's document lists it). */
export const METRICS_SECURITY_SCHEME: Readonly<Record<'metricsToken', SecuritySchemeObject>> = {
  metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, for a Prometheus scraper.' },
};

/**
 * `GET /metrics` (Prometheus text format) for a scraper holding METRICS_TOKEN: 401 without or
 * with a wrong one, 404 while METRICS_TOKEN is unset (metrics off). Not behind the access-token
 * guard: a scraper is no user.
 */
@ApiTags('service')
@Controller('metrics')
export class MetricsController {
  private readonly expected: Buffer | null;

  constructor(
    config: AppConfig,
    private readonly metrics: MetricsRegistry,
  ) {
    this.expected = config.metricsToken === null ? null : digest(config.metricsToken);
  }

  @Public()
  @Get()
  @Header('Cache-Control', 'no-store')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics of this process',
    description: 'Off (404) unless `METRICS_TOKEN` is set; then for `Authorization: Bearer <METRICS_TOKEN>` only.',
  })
  @ApiBearerAuth('metricsToken')
  @ApiOkResponse({ description: 'Prometheus text format 0.0.4.', content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiProblemResponse(401, 'No or a wrong METRICS_TOKEN.', 'WWW-Authenticate')
  @ApiProblemResponse(404, 'Metrics are off: METRICS_TOKEN is unset.')
  async scrape(@Headers('authorization') authorization: string | undefined): Promise<string> {
    if (this.expected === null) throw new NotFoundException();
    const presented = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
    // Compared as SHA-256 digests in constant time: equal lengths whatever was sent, and the
    // time taken says nothing about how much of the token was right.
    if (presented === undefined || !timingSafeEqual(digest(presented), this.expected)) throw new MetricsTokenInvalid();
    return this.metrics.metrics();
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
