import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedWebhook {
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
  /** Whether X-Signature-256 is the HMAC-SHA256 of the exact body bytes under the secret. */
  readonly signatureValid: boolean;
  /** Date.now() when the body had arrived. */
  readonly at: number;
}

/** What the receiver does with a request: answer with a status, or never answer. */
export type ReceiverAnswer = number | 'hang';

/**
 * A security-webhook receiver as a product would write one (node:http, signature checked with
 * createHmac and timingSafeEqual over the raw body), whose answers a test decides.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly secret: string,
    private readonly answer: (request: ReceivedWebhook, index: number) => ReceiverAnswer = () => 200,
  ) {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks);
        const received: ReceivedWebhook = {
          body: raw.toString('utf8'),
          headers: request.headers,
          signatureValid: this.verify(raw, request.headers['x-signature-256']),
          at: Date.now(),
        };
        this.received.push(received);
        const answer = this.answer(received, this.received.length - 1);
        if (answer !== 'hang') response.writeHead(answer, { 'Content-Type': 'text/plain' }).end('ok');
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/security`;
  }

  /** The parsed bodies, in arrival order. */
  get payloads(): Record<string, unknown>[] {
    return this.received.map((request) => JSON.parse(request.body) as Record<string, unknown>);
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private verify(raw: Buffer, header: string | string[] | undefined): boolean {
    if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
    const presented = Buffer.from(header.slice('sha256='.length), 'hex');
    const expected = createHmac('sha256', this.secret).update(raw).digest();
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  }
}

/** A URL on which nothing listens: every attempt is refused at once. */
export async function refusingUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hooks/security`;
}
