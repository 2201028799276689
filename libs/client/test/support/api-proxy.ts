import { createServer, request as forward, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small HTTP proxy in front of a real API process: counts the requests that reach the
 * server per path, and can lose an answer the way a dropped connection does (the server
 * has done the work; the client never hears of it).
 */
export class ApiProxy {
  private readonly counts = new Map<string, number>();
  private readonly dropNext = new Set<string>();
  private readonly stripped = new Set<string>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<ApiProxy> {
    const upstream = new URL(target);
    let proxy: ApiProxy | undefined;
    const server = createServer((incoming, outgoing) => {
      const path = (incoming.url ?? '/').split('?')[0];
      proxy!.counts.set(path, (proxy!.counts.get(path) ?? 0) + 1);
      const headers = { ...incoming.headers };
      for (const name of proxy!.stripped) delete headers[name];
      // Host is passed on unchanged: the API checks DPoP `htu` against the Host it was sent to.
      // A connection per request (agent: false): a pooled one would outlive a restarted server.
      const request = forward(
        { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers, agent: false },
        (answer: IncomingMessage) => {
          if (proxy!.dropNext.delete(path)) {
            answer.resume();
            answer.once('end', () => incoming.socket.destroy());
            return;
          }
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      request.once('error', () => incoming.socket.destroy());
      incoming.pipe(request);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    proxy = new ApiProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  /** Requests for `path` that reached the server. */
  count(path: string): number {
    return this.counts.get(path) ?? 0;
  }

  /** The next answer to `path` is read from the server and then lost (connection destroyed). */
  dropNextResponse(path: string): void {
    this.dropNext.add(path);
  }

  /** Drops a request header on the way, e.g. `dpop` to play a server without DPoP support. */
  stripHeader(name: string): void {
    this.stripped.add(name.toLowerCase());
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}
