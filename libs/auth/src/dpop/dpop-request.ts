import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** What a request offers for a DPoP check: its proof header and where it was sent. */
export interface DpopRequest {
  /** The `DPoP` header; several (Node joins them with ", ") fail as a malformed proof. */
  readonly proof: string | undefined;
  readonly method: string;
  /** The request's path, without the query. */
  readonly path: string;
  /** `scheme://host` as the request arrived (TRUST_PROXY applied), used when PUBLIC_URL is unset. */
  readonly origin: string;
}

interface IncomingRequest {
  method: string;
  url: string;
  protocol?: string;
  host?: string;
  headers: Record<string, string | string[] | undefined>;
}

export function dpopRequestOf(request: IncomingRequest): DpopRequest {
  const header = request.headers.dpop;
  return {
    proof: Array.isArray(header) ? header.join(', ') : header,
    method: request.method,
    path: request.url.split('?')[0],
    origin: `${request.protocol ?? 'http'}://${request.host ?? ''}`,
  };
}

/** `@Dpop() dpop: DpopRequest` for the token endpoints. */
export const Dpop = createParamDecorator((_: unknown, context: ExecutionContext): DpopRequest =>
  dpopRequestOf(context.switchToHttp().getRequest<IncomingRequest>()),
);
