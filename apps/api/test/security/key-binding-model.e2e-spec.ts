import { calculateThumbprint, generateKeyPair, generateProof, type KeyPair } from 'dpop';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { createDataSource, DeviceEntity } from '@app/persistence';
import { AppConfig } from '@app/platform';
import { startApiCluster, type ApiCluster } from '../../../../test/support/app-process.js';
import { TEST_JWT_SECRET } from '../../../../test/support/scratch-database.js';

/**
 * API.md § Device-bound tokens, as an invariant of random interleavings across two real API
 * processes on one database: sign-ins with and without a proof, refreshes by the owner and by a
 * thief who copied the owner's refresh token (each with the owner's key, the thief's, or none),
 * RFC 7009 revocations and logouts. REFRESH_REUSE_GRACE is 0, so every spent token that comes
 * back is past the grace period. After every step:
 * - a spent refresh token presented (by anyone, with any proof or none) revokes the device;
 * - no device is bound to a key that was not presented with its live refresh token or sign-in;
 * - no refresh succeeds after a revocation answered, on either process.
 */
const PUBLIC_URL = 'https://auth.example.test';
const PASSWORD = 'correct horse battery';

type Who = 'owner' | 'thief';
type KeyChoice = 'owner' | 'thief' | 'none';

interface DeviceModel {
  readonly id: string;
  /** The refresh token each party holds (the thief's: whatever it copied or was answered). */
  readonly holds: Record<Who, string | null>;
  /** The server's live refresh token of the device. */
  live: string;
  /** Whose key the device is bound to. */
  boundTo: KeyChoice;
  /** Keys that were presented with the device's live token or its sign-in: the only ones it may be bound to. */
  readonly presented: Set<KeyChoice>;
  active: boolean;
  /** The owner's last access token and the key it is bound to (the one the owner refreshed with). */
  ownerAccess: { token: string; key: KeyChoice };
}

interface Model {
  readonly devices: DeviceModel[];
}

interface Real {
  readonly urls: string[];
  readonly email: string;
  readonly keys: Record<'owner' | 'thief', KeyPair>;
  readonly dataSource: DataSource;
}

interface Answer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

async function proofHeader(real: Real, key: KeyChoice, path: string, accessToken?: string): Promise<Record<string, string>> {
  if (key === 'none') return {};
  return { dpop: await generateProof(real.keys[key], `${PUBLIC_URL}${path}`, 'POST', undefined, accessToken) };
}

/** Refused without effect: a missing or wrong proof (400), or past the device's refusals a minute (429). */
const REFUSED_FOR_KEY = (answer: Answer) => (answer.status === 400 && answer.body.error === 'invalid_dpop_proof') || answer.status === 429;

type Command = fc.AsyncCommand<Model, Real>;

class SignIn implements Command {
  constructor(
    readonly via: number,
    readonly withProof: boolean,
  ) {}
  check = (model: Readonly<Model>) => model.devices.length < 4;
  async run(model: Model, real: Real): Promise<void> {
    const headers = this.withProof ? await proofHeader(real, 'owner', '/auth/login') : {};
    const answer = await post(
      real.urls[this.via],
      '/auth/login',
      { email: real.email, password: PASSWORD, device: { name: 'Phone' } },
      headers,
    );
    expect(answer.status).toBe(200);
    expect(answer.body.token_type).toBe(this.withProof ? 'DPoP' : 'Bearer');
    model.devices.push({
      id: answer.body.device_id,
      holds: { owner: answer.body.refresh_token, thief: null },
      live: answer.body.refresh_token,
      boundTo: this.withProof ? 'owner' : 'none',
      presented: new Set(this.withProof ? ['owner'] : []),
      active: true,
      ownerAccess: { token: answer.body.access_token, key: this.withProof ? 'owner' : 'none' },
    });
  }
  toString = () => `signIn(p${this.via}, ${this.withProof ? 'with' : 'without'} proof)`;
}

class Steal implements Command {
  constructor(readonly device: number) {}
  check = (model: Readonly<Model>) => this.device < model.devices.length;
  async run(model: Model): Promise<void> {
    const device = model.devices[this.device];
    device.holds.thief = device.holds.owner;
  }
  toString = () => `steal(d${this.device})`;
}

class Refresh implements Command {
  constructor(
    readonly via: number,
    readonly device: number,
    readonly who: Who,
    readonly key: KeyChoice,
  ) {}
  check = (model: Readonly<Model>) => model.devices[this.device]?.holds[this.who] != null;
  async run(model: Model, real: Real): Promise<void> {
    const device = model.devices[this.device];
    const presented = device.holds[this.who]!;
    const answer = await post(
      real.urls[this.via],
      '/auth/refresh',
      { refresh_token: presented },
      await proofHeader(real, this.key, '/auth/refresh'),
    );
    if (!device.active) {
      // Once a revocation answered, no refresh of the device succeeds, on any process.
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_grant');
      return;
    }
    if (presented !== device.live) {
      // A spent token past the grace period is theft, whatever proof it carries or lacks.
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'invalid_grant', reason: 'reused' });
      device.active = false;
      return;
    }
    const keyFits = device.boundTo === 'none' || device.boundTo === this.key;
    if (!keyFits) {
      expect(REFUSED_FOR_KEY(answer)).toBe(true);
      return;
    }
    expect(answer.status).toBe(200);
    if (device.boundTo === 'none' && this.key !== 'none') {
      device.boundTo = this.key;
      device.presented.add(this.key);
    }
    expect(answer.body.token_type).toBe(device.boundTo === 'none' ? 'Bearer' : 'DPoP');
    device.live = answer.body.refresh_token;
    device.holds[this.who] = answer.body.refresh_token;
    if (this.who === 'owner') device.ownerAccess = { token: answer.body.access_token, key: device.boundTo };
  }
  toString = () => `refresh(p${this.via}, d${this.device}, ${this.who}'s token, ${this.key} key)`;
}

class Revoke implements Command {
  constructor(
    readonly via: number,
    readonly device: number,
    readonly who: Who,
    readonly key: KeyChoice,
  ) {}
  check = (model: Readonly<Model>) => model.devices[this.device]?.holds[this.who] != null;
  async run(model: Model, real: Real): Promise<void> {
    const device = model.devices[this.device];
    const presented = device.holds[this.who]!;
    const answer = await post(real.urls[this.via], '/auth/revoke', { token: presented }, await proofHeader(real, this.key, '/auth/revoke'));
    if (!device.active || presented !== device.live || device.boundTo === 'none' || device.boundTo === this.key) {
      expect(answer.status).toBe(200);
      device.active = false;
    } else {
      expect(REFUSED_FOR_KEY(answer)).toBe(true);
    }
  }
  toString = () => `rfc7009Revoke(p${this.via}, d${this.device}, ${this.who}'s token, ${this.key} key)`;
}

class Logout implements Command {
  constructor(
    readonly via: number,
    readonly device: number,
  ) {}
  check = (model: Readonly<Model>) => model.devices[this.device]?.active === true;
  async run(model: Model, real: Real): Promise<void> {
    const device = model.devices[this.device];
    const { token, key } = device.ownerAccess;
    const headers =
      key === 'none'
        ? { authorization: `Bearer ${token}` }
        : { authorization: `DPoP ${token}`, ...(await proofHeader(real, key, '/auth/logout', token)) };
    // A bearer access token issued before a thief bound the device stays good until it expires
    // (it carries no key); a bound one is the key's that bound the device, as a binding never changes.
    const answer = await post(real.urls[this.via], '/auth/logout', undefined, headers);
    expect(answer.status).toBe(204);
    device.active = false;
  }
  toString = () => `logout(p${this.via}, d${this.device})`;
}

describe('key binding: random interleavings across two processes (e2e, fast-check)', () => {
  let cluster: ApiCluster;
  let dataSource: DataSource;
  let keys: Record<'owner' | 'thief', KeyPair>;
  let counter = 0;

  beforeAll(async () => {
    cluster = await startApiCluster(2, {
      PUBLIC_URL,
      REFRESH_REUSE_GRACE: '0',
      LOGIN_RATE_LIMIT: '100000/15m',
      REGISTER_RATE_LIMIT: '100000/1h',
    });
    dataSource = createDataSource(AppConfig.fromEnv({ DATABASE_URL: cluster.database.url, JWT_SECRET: TEST_JWT_SECRET }));
    await dataSource.initialize();
    keys = { owner: await generateKeyPair('ES256'), thief: await generateKeyPair('ES256') };
  }, 60_000);

  afterAll(async () => {
    await dataSource?.destroy();
    await cluster?.stop();
  });

  it('keeps the key-binding invariants of API.md after every step of random command sequences', async () => {
    const thumbprints = { owner: await calculateThumbprint(keys.owner.publicKey), thief: await calculateThumbprint(keys.thief.publicKey) };
    const via = fc.integer({ min: 0, max: 1 });
    const device = fc.integer({ min: 0, max: 1 });
    const who = fc.constantFrom<Who>('owner', 'thief');
    const key = fc.constantFrom<KeyChoice>('owner', 'thief', 'none');
    const commands = [
      fc.tuple(via, fc.boolean()).map(([process, withProof]) => new SignIn(process, withProof)),
      device.map((index) => new Steal(index)),
      fc.tuple(via, device, who, key).map(([process, index, holder, choice]) => new Refresh(process, index, holder, choice)),
      fc.tuple(via, device, who, key).map(([process, index, holder, choice]) => new Revoke(process, index, holder, choice)),
      fc.tuple(via, device).map(([process, index]) => new Logout(process, index)),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 16 }), async (sequence) => {
        const urls = cluster.processes.map((process) => process.url);
        const email = `binding-model-${++counter}-${Date.now()}@example.com`;
        expect((await post(urls[0], '/auth/register', { email, password: PASSWORD })).status).toBe(201);
        const model: Model = { devices: [] };
        const real: Real = { urls, email, keys, dataSource };
        await new SignIn(0, false).run(model, real);
        const checked = [...sequence].map((command) => ({
          check: (m: Readonly<Model>) => command.check(m),
          run: async (m: Model, r: Real) => {
            await command.run(m, r);
            // After every step: each device is bound to the key the model says, and only to one
            // that was presented with its live token or its sign-in.
            for (const modelled of m.devices) {
              const row = await dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: modelled.id });
              const expected = modelled.boundTo === 'none' ? null : thumbprints[modelled.boundTo];
              expect(row.jkt).toBe(expected);
              if (modelled.boundTo !== 'none') expect(modelled.presented.has(modelled.boundTo)).toBe(true);
              expect(row.revokedAt === null).toBe(modelled.active);
            }
          },
          toString: () => command.toString(),
        }));
        await fc.asyncModelRun(() => ({ model, real }), checked);
      }),
      { numRuns: 40 },
    );
  }, 180_000);
});
