import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type ProtectedHeaderParameters } from 'jose';
import type { DataSource } from 'typeorm';
import { SsfReceiverRepository } from '@app/persistence';
import { hashReceiverToken } from '@app/ssf';

/** A fresh EC P-256 key as JWT_PRIVATE_KEY (PEM): the SSF transmitter needs an asymmetric key. */
export function es256Pem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/**
 * Registers a receiver straight in the database, as `npm run ssf -- add-receiver <name> <audience>`
 * does (a 256-bit token, kept as its SHA-256); returns the token. The command itself is tested
 * as a process in ssf-crash.e2e-spec.ts.
 */
export async function addReceiver(dataSource: DataSource, name: string, audience: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await new SsfReceiverRepository(dataSource).add({
    id: randomUUID(),
    name,
    audience,
    tokenHash: hashReceiverToken(token),
    createdAt: Date.now(),
  });
  return token;
}

/** SSF 1.0 §7.1: what a receiver reads from `/.well-known/ssf-configuration`. */
export interface TransmitterMetadata {
  readonly spec_version: string;
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly delivery_methods_supported: string[];
  readonly configuration_endpoint: string;
  readonly status_endpoint: string;
  readonly verification_endpoint: string;
  readonly authorization_schemes: { spec_urn: string }[];
  readonly default_subjects: string;
}

/** A SET as the receiver accepted it: verified, with the claims it carries. */
export interface ReceivedSet {
  readonly jwt: string;
  readonly header: ProtectedHeaderParameters;
  readonly claims: JWTPayload & { sub_id: Record<string, unknown>; events: Record<string, Record<string, unknown>> };
  /** Date.now() when it arrived. */
  readonly at: number;
}

/** A push request as it arrived, before the receiver judged it. */
export interface PushRequest {
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
  readonly at: number;
}

/** What the push endpoint does with a request: answer with a status, or never answer. */
export type PushAnswer = number | 'hang';

/**
 * A Shared Signals receiver as another vendor would write one, with nothing of this project:
 * it discovers the transmitter from its metadata, verifies every SET with `jose` against the
 * transmitter's `jwks_uri` (pinned issuer, audience, `typ: secevent+jwt`, ES256), and receives
 * by RFC 8935 push (a node:http endpoint that checks its own Authorization header) or by RFC 8936
 * poll. Invalid SETs are kept apart in `refused`.
 */
export class SsfTestReceiver {
  metadata!: TransmitterMetadata;
  readonly pushed: ReceivedSet[] = [];
  readonly pushRequests: PushRequest[] = [];
  readonly refused: { jwt: string; error: string }[] = [];
  private keys!: JWTVerifyGetKey;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly transmitterUrl: string,
    /** The receiver's token (from `ssf add-receiver`) and the audience it was registered with. */
    readonly token: string,
    readonly audience: string,
    /** The secret its push endpoint expects in `Authorization`. */
    readonly pushSecret = 'Bearer push-endpoint-secret-of-the-receiver',
    private readonly answer: (request: PushRequest, index: number) => PushAnswer = () => 202,
  ) {}

  async discover(): Promise<TransmitterMetadata> {
    const response = await fetch(`${this.transmitterUrl}/.well-known/ssf-configuration`);
    if (response.status !== 200) throw new Error(`metadata answered ${response.status}`);
    this.metadata = (await response.json()) as TransmitterMetadata;
    this.keys = createRemoteJWKSet(new URL(this.metadata.jwks_uri));
    return this.metadata;
  }

  /** Verifies a SET as SSF 1.0 §4 and RFC 8417 ask: signature by the transmitter's published key, iss, aud, typ. */
  async verify(jwt: string): Promise<ReceivedSet> {
    const { payload, protectedHeader } = await jwtVerify(jwt, this.keys, {
      issuer: this.metadata.issuer,
      audience: this.audience,
      typ: 'secevent+jwt',
      algorithms: ['ES256'],
    });
    return { jwt, header: protectedHeader, claims: payload as ReceivedSet['claims'], at: Date.now() };
  }

  /** Starts the push endpoint; its URL is then `pushUrl`. */
  async listen(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const pushed: PushRequest = { body: Buffer.concat(chunks).toString('utf8'), headers: request.headers, at: Date.now() };
        this.pushRequests.push(pushed);
        const answer = this.answer(pushed, this.pushRequests.length - 1);
        if (answer === 'hang') return;
        // RFC 8935 §2.4: a request without the endpoint's own credential is refused.
        if (request.headers.authorization !== this.pushSecret || request.headers['content-type'] !== 'application/secevent+jwt') {
          response.writeHead(401).end();
          return;
        }
        this.verify(pushed.body).then(
          (set) => {
            if (answer === 202) this.pushed.push(set);
            response
              .writeHead(answer, { 'Content-Type': 'application/json' })
              .end(answer === 202 ? '' : '{"err":"temporarily_unavailable"}');
          },
          (error: Error) => {
            this.refused.push({ jwt: pushed.body, error: error.message });
            // RFC 8935 §2.3: an invalid SET is refused with 400 and an error code.
            response.writeHead(400, { 'Content-Type': 'application/json' }).end('{"err":"invalid_key","description":"bad SET"}');
          },
        );
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get pushUrl(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/ssf/events`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** A call to the transmitter's management API with this receiver's token. */
  async call(method: string, url: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const response = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  /** Creates a push stream to this receiver's endpoint, or a poll stream. */
  async createStream(method: 'push' | 'poll', eventsRequested: string[]): Promise<StreamConfig> {
    const delivery =
      method === 'push'
        ? { method: 'urn:ietf:rfc:8935', endpoint_url: this.pushUrl, authorization_header: this.pushSecret }
        : { method: 'urn:ietf:rfc:8936' };
    const created = await this.call('POST', this.metadata.configuration_endpoint, { delivery, events_requested: eventsRequested });
    if (created.status !== 201) throw new Error(`create stream answered ${created.status}: ${JSON.stringify(created.body)}`);
    return created.body as StreamConfig;
  }

  /** RFC 8936: one poll of the stream; the SETs verified (a SET that fails verification throws). */
  async poll(
    stream: StreamConfig,
    request: { ack?: string[]; maxEvents?: number; returnImmediately?: boolean; setErrs?: Record<string, unknown> },
  ): Promise<{ sets: ReceivedSet[]; moreAvailable: boolean }> {
    const answer = await this.call('POST', stream.delivery.endpoint_url, request);
    if (answer.status !== 200) throw new Error(`poll answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    const body = answer.body as { sets: Record<string, string>; moreAvailable: boolean };
    const sets = await Promise.all(Object.values(body.sets).map((jwt) => this.verify(jwt)));
    for (const [jti, set] of Object.entries(body.sets))
      if (!sets.some((verified) => verified.jwt === set && verified.claims.jti === jti)) throw new Error('jti mismatch');
    return { sets, moreAvailable: body.moreAvailable };
  }
}

export interface StreamConfig {
  readonly stream_id: string;
  readonly iss: string;
  readonly aud: string;
  readonly delivery: { method: string; endpoint_url: string; authorization_header?: string };
  readonly events_supported: string[];
  readonly events_requested: string[];
  readonly events_delivered: string[];
}
