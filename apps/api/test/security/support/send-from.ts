import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestApi } from '../../support/test-api.js';
import type { WireResponse } from './wire.js';

/**
 * Sends a JSON request from another loopback address (127.0.0.2, 127.0.0.3, …), so that
 * per-IP limits can be told apart from per-email ones. Linux (CI) answers on all of 127/8;
 * macOS needs an alias first (`sudo ifconfig lo0 alias 127.0.0.2`, and so on).
 */
export async function sendFrom(
  api: TestApi,
  clientAddress: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<WireResponse> {
  const server = api.app.getHttpServer();
  if (!server.listening) await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((done, fail) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        localAddress: clientAddress,
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...headers },
      },
      (incoming) => {
        let text = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => (text += chunk));
        incoming.on('end', () => {
          const headers = Object.fromEntries(Object.entries(incoming.headers).map(([name, value]) => [name, String(value)]));
          done({
            status: incoming.statusCode ?? 0,
            headers,
            text,
            body: text && /json/.test(headers['content-type'] ?? '') ? JSON.parse(text) : {},
          });
        });
      },
    );
    outgoing.on('error', fail);
    outgoing.end(payload);
  });
}
