import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A third party on an origin of its own (another port): records every request it receives,
 * headers and body, and answers `200 third party`.
 */
export class RecordingServer {
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private port = 0;

  private constructor() {
    this.server = createServer((incoming, outgoing) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const { method = '', url = '', headers } = incoming;
        this.requests.push({ method, url, headers, body: Buffer.concat(chunks).toString() });
        outgoing.writeHead(200, { 'content-type': 'text/plain' }).end('third party');
      });
    });
  }

  static async start(): Promise<RecordingServer> {
    const recorder = new RecordingServer();
    await new Promise<void>((done) => recorder.server.listen(0, '127.0.0.1', done));
    recorder.port = (recorder.server.address() as AddressInfo).port;
    return recorder;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}
