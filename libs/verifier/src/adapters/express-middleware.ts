import { AccessDenied } from '../access-denied.error.js';
import type { DeviceAuthVerifier } from '../device-auth-verifier.js';
import type { DevicePrincipal } from '../device-principal.js';
import { verifiableRequestOf, type AdapterOptions, type IncomingRequestLike } from './http-request.js';

/** The parts of an Express (or plain Node) response the middleware writes. */
export interface ResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/**
 * Express middleware (plain Node `(req, res, next)` handlers too): a request with a good
 * access token goes on with `req.auth` set to its DevicePrincipal; any other is answered 401
 * (or 503, see AccessDenied) with its challenge, and goes no further.
 *
 *     app.use(expressMiddleware(verifier));
 */
export function expressMiddleware(
  verifier: DeviceAuthVerifier,
  options: AdapterOptions = {},
): (request: IncomingRequestLike & { auth?: DevicePrincipal }, response: ResponseLike, next: (error?: unknown) => void) => void {
  return (request, response, next) => {
    verifier.verifyRequest(verifiableRequestOf(request, options)).then(
      (principal) => {
        request.auth = principal;
        next();
      },
      (error: unknown) => {
        if (!(error instanceof AccessDenied)) return next(error);
        response.statusCode = error.status;
        for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
        response.setHeader('Content-Type', 'application/json');
        response.setHeader('Cache-Control', 'no-store');
        response.end(JSON.stringify(error));
      },
    );
  };
}
