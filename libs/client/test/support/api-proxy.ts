import { createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';

/** See ApiProxy.redirect. */
export interface RedirectRule {
  /** The path, or a RegExp tested on the request target (path and query). */
  match: string | RegExp;
  status: number;
  /** The `Location` to send, or a function of the request target giving it. */
  location: string | ((target: string) => string);
  /** Ask the server first, and redirect only what it answered with a 2xx (a guarded resource that redirects). */
  afterServer?: boolean;
}

/**
 * A small HTTP proxy in front of a real API process: counts the requests that reach the
 * server per path, and can lose an answer the way a dropped connection does (the server
 * has done the work; the client never hears of it), or answer with a redirect.
 */
export class ApiProxy {
  private readonly counts = new Map<string, number>();
  private readonly dropNext = new Set<string>();
  private readonly stripped = new Set<string>();
  private readonly directories = new Map<string, string>();
  private redirects: RedirectRule[] = [];

  private readonly server: Server;
  private readonly upstream: URL;
  private port = 0;

  private constructor(target: string) {
    this.upstream = new URL(target);
    this.server = createServer((incoming, outgoing) => this.pass(incoming, outgoing));
  }

  static async start(target: string): Promise<ApiProxy> {
    const proxy = new ApiProxy(target);
    await new Promise<void>((done) => proxy.server.listen(0, '127.0.0.1', done));
    proxy.port = (proxy.server.address() as AddressInfo).port;
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private pass(incoming: IncomingMessage, outgoing: ServerResponse): void {
    const path = (incoming.url ?? '/').split('?')[0];
    for (const [prefix, directory] of this.directories) {
      if (path.startsWith(prefix)) return void this.serveFile(directory, path.slice(prefix.length), outgoing);
    }
    const target = incoming.url ?? '/';
    const redirect = this.redirects.find(({ match }) => (typeof match === 'string' ? match === path : match.test(target)));
    const location = redirect && (typeof redirect.location === 'string' ? redirect.location : redirect.location(target));
    if (redirect && !redirect.afterServer) {
      this.counts.set(path, (this.counts.get(path) ?? 0) + 1);
      incoming.resume();
      return void outgoing.writeHead(redirect.status, { location }).end();
    }
    const headers = { ...incoming.headers };
    for (const name of this.stripped) delete headers[name];
    // Host is passed on unchanged: the API checks DPoP `htu` against the Host it was sent to.
    // A connection per request (agent: false): a pooled one would outlive a restarted server.
    const { hostname, port } = this.upstream;
    const request = forward({ host: hostname, port, method: incoming.method, path: incoming.url, headers, agent: false }, (answer) => {
      this.counts.set(path, (this.counts.get(path) ?? 0) + 1);
      if (this.dropNext.delete(path)) {
        answer.resume();
        answer.once('end', () => incoming.socket.destroy());
        return;
      }
      const status = answer.statusCode ?? 502;
      if (redirect && status >= 200 && status < 300) {
        answer.resume();
        return void outgoing.writeHead(redirect.status, { location }).end();
      }
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    // The server is down: the client sees a dropped connection, as it would without the proxy.
    request.once('error', () => incoming.socket.destroy());
    incoming.pipe(request);
  }

  /** Files of `directory` under `prefix` (a page and its scripts on the API's origin, so no CORS). */
  serve(prefix: string, directory: string): void {
    this.directories.set(prefix, resolve(directory));
  }

  private async serveFile(directory: string, relative: string, outgoing: ServerResponse): Promise<void> {
    const file = resolve(join(directory, relative));
    const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };
    try {
      if (!file.startsWith(directory + sep)) throw new Error('outside');
      const body = await readFile(file);
      outgoing.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      outgoing.writeHead(404).end();
    }
  }

  /**
   * Answers requests matching `rule.match` with `rule.status` and a `Location` header, after the
   * server accepted them (`afterServer`) or without asking it. The first matching rule applies.
   */
  redirect(rule: RedirectRule): void {
    this.redirects.push(rule);
  }

  clearRedirects(): void {
    this.redirects = [];
  }

  /** Requests for `path` that the server answered (or a redirect rule, without asking the server). */
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
