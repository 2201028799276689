import type { AppConfig } from './app-config.js';

/** How often Node looks for requests past their deadline (its default is every 30 s). */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/**
 * The Fastify options both apps share, from configuration:
 * - TRUST_PROXY: whose X-Forwarded-For to believe; the client IP is then the right-most
 *   address in it that is not a trusted proxy (Fastify's proxy-addr), else the TCP peer.
 * - REQUEST_TIMEOUT: a request whose head and body have not arrived in time is answered 408
 *   and its connection closed. Fastify's own default is no limit at all, so a body trickled a
 *   byte at a time held a connection forever. Node enforces the larger of `headersTimeout`
 *   (60 s by default) and `requestTimeout`, and only when it checks (every 30 s by default),
 *   so all three are set: a trickled request ends within REQUEST_TIMEOUT + 1 s.
 * - Shutdown: Fastify's default answers 503 to a request that arrives on a kept-alive connection
 *   while the server drains; it is served instead (with `Connection: close`), so that no client
 *   sees a 5xx from a rolling restart. Idle connections are closed at once (`'idle'`), busy ones
 *   after their response; new connections are refused.
 */
export function httpServerOptions(config: AppConfig) {
  const timeoutMs = config.requestTimeout * 1000;
  return {
    trustProxy: trustProxy(config.trustProxy),
    requestTimeout: timeoutMs,
    return503OnClosing: false,
    forceCloseConnections: 'idle' as const,
    http: { headersTimeout: timeoutMs, requestTimeout: timeoutMs, connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS },
  };
}

/** A hop count trusts that many proxies nearest the server, whatever their addresses. */
function trustProxy(setting: AppConfig['trustProxy']): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return setting;
}
