import fc from 'fast-check';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TokenResponse } from '@app/auth';
import { waitFor } from '../../../../test/support/wait-for.js';
import { startApiCluster, type ApiCluster, type ApiProcess } from '../../../../test/support/app-process.js';

/**
 * The invariants of API.md § Errors and § Revocation across real API processes on one
 * database (a SQLite file, or PostgreSQL in that project): parallel bursts split over two
 * processes, processes whose clocks disagree, and random interleavings of sign-ins, refreshes,
 * password changes and revocations.
 */
const PASSWORD = 'correct horse battery';
const LIMIT = 10;
const SKEWED_CLOCK = pathToFileURL(resolve('apps/api/test/support/skewed-clock.mjs')).href;

let counter = 0;
const uniqueEmail = (label: string) => `${label}-${++counter}-${Date.now()}@example.com`;

interface Answer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

/** One request from the loopback address `from` (each burst its own, so per-IP counts start afresh). */
function call(base: string, method: string, path: string, body?: unknown, accessToken?: string, from = '127.0.0.1'): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers = {
    ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
    ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
  };
  return new Promise((done, fail) => {
    const outgoing = request(`${base}${path}`, { method, headers, localAddress: from }, (incoming) => {
      let text = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (text += chunk));
      incoming.on('end', () => done({ status: incoming.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
    });
    outgoing.on('error', fail);
    outgoing.end(payload);
  });
}

const signIn = (base: string, email: string, password: string, name = 'Phone', from?: string) =>
  call(base, 'POST', '/auth/login', { email, password, device: { name } }, undefined, from);

async function registerOn(base: string, email: string): Promise<void> {
  expect((await call(base, 'POST', '/auth/register', { email, password: PASSWORD })).status).toBe(201);
}

/** Polls until the access token is refused on `base`; the milliseconds it took. */
/**
 * Polls until `base` refuses the access token (a generous deadline, not a latency bound: the
 * benchmark measures the spread). A process whose clock hid the revocation would accept the
 * token until it expires, long after the deadline.
 */
async function refusedOn(base: string, accessToken: string): Promise<void> {
  await waitFor(async () => (await call(base, 'GET', '/me', undefined, accessToken)).status === 401, {
    what: `the token refused on ${base}`,
  });
}

describe('two processes under parallel attack (e2e)', () => {
  let cluster: ApiCluster;
  let processes: ApiProcess[];

  beforeAll(async () => {
    cluster = await startApiCluster(2, { LOGIN_RATE_LIMIT: `${LIMIT}/15m`, REVOCATION_SYNC_INTERVAL: '1s' });
    processes = cluster.processes;
  }, 60_000);

  afterAll(() => cluster?.stop());

  it.each([1, 2, 3])(
    'lets at most LOGIN_RATE_LIMIT of 160 guesses split over two processes check a password, the right one among them (round %i)',
    async (round) => {
      const email = uniqueEmail('split-burst');
      await registerOn(processes[0].url, email);
      const guesses = Array.from({ length: 160 }, (_, index) => (index === 120 ? PASSWORD : `guess number ${index}`));
      const answers = await Promise.all(
        guesses.map((guess, index) => signIn(processes[index % 2].url, email, guess, 'Phone', `127.0.3.${round}`)),
      );
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.every((status) => [200, 401, 429].includes(status))).toBe(true);
      expect(statuses.filter((status) => status !== 429).length).toBeLessThanOrEqual(LIMIT);
    },
  );
});

describe('processes whose clocks disagree (e2e)', () => {
  let cluster: ApiCluster;
  let right: ApiProcess;
  let observer: ApiProcess;
  let fast: ApiProcess;
  let slow: ApiProcess;

  beforeAll(async () => {
    const skewed = (ms: number) => ({ NODE_OPTIONS: `--import ${SKEWED_CLOCK}`, CLOCK_SKEW_MS: String(ms) });
    cluster = await startApiCluster(4, { REVOCATION_SYNC_INTERVAL: '1s' }, [{}, {}, skewed(20_000), skewed(-5 * 60_000)]);
    [right, observer, fast, slow] = cluster.processes;
  }, 60_000);

  afterAll(() => cluster?.stop());

  it('refuses on every process within 1.5 s devices revoked through hosts 20 s fast, 5 min slow and right', async () => {
    const email = uniqueEmail('skew');
    await registerOn(right.url, email);
    const devices = [];
    for (const name of ['First', 'Second', 'Third']) devices.push((await signIn(right.url, email, PASSWORD, name)).body as TokenResponse);
    const revokeThrough = async (process: ApiProcess, tokens: TokenResponse) => {
      expect((await call(process.url, 'POST', '/auth/revoke', { token: tokens.refresh_token })).status).toBe(200);
    };

    // Through the fast host first, and long enough for every process to have read it: before
    // the fix, its future revoked_at became everybody's cursor and hid the next revocations.
    await revokeThrough(fast, devices[0]);
    for (const process of [observer, right]) await refusedOn(process.url, devices[0].access_token);
    await revokeThrough(slow, devices[1]);
    await revokeThrough(right, devices[2]);
    for (const tokens of devices.slice(1)) {
      for (const process of [observer, right, fast]) await refusedOn(process.url, tokens.access_token);
    }
  });
});

/** The model of one account, as a client that saw every answer would know it. */
interface DeviceModel {
  id: string;
  accessToken: string;
  refreshToken: string;
  active: boolean;
}
interface AccountModel {
  password: string;
  oldPasswords: string[];
  devices: DeviceModel[];
}
interface Deployment {
  readonly urls: readonly string[];
  readonly email: string;
}

type Command = fc.AsyncCommand<AccountModel, Deployment>;

function addDevice(model: AccountModel, tokens: TokenResponse): void {
  model.devices.push({ id: tokens.device_id, accessToken: tokens.access_token, refreshToken: tokens.refresh_token, active: true });
}

class SignIn implements Command {
  constructor(
    readonly via: number,
    readonly withOldPassword: boolean,
  ) {}
  check = (model: Readonly<AccountModel>) => !this.withOldPassword || model.oldPasswords.length > 0;
  async run(model: AccountModel, real: Deployment): Promise<void> {
    const password = this.withOldPassword ? model.oldPasswords.at(-1)! : model.password;
    const answer = await signIn(real.urls[this.via], real.email, password);
    // Invariant: once a change answered, the old password signs nothing in, on any process.
    expect(answer.status).toBe(this.withOldPassword ? 401 : 200);
    if (answer.status === 200) addDevice(model, answer.body as TokenResponse);
  }
  toString = () => `signIn(p${this.via}, ${this.withOldPassword ? 'old' : 'current'} password)`;
}

class Refresh implements Command {
  constructor(
    readonly via: number,
    readonly device: number,
  ) {}
  check = (model: Readonly<AccountModel>) => this.device < model.devices.length;
  async run(model: AccountModel, real: Deployment): Promise<void> {
    const device = model.devices[this.device];
    const answer = await call(real.urls[this.via], 'POST', '/auth/refresh', { refresh_token: device.refreshToken });
    // Invariant: once a revocation answered, no refresh of that device succeeds, on any process.
    expect(answer.status).toBe(device.active ? 200 : 400);
    if (answer.status === 200) {
      device.refreshToken = answer.body.refresh_token;
      device.accessToken = answer.body.access_token;
    }
  }
  toString = () => `refresh(p${this.via}, d${this.device})`;
}

class ChangePassword implements Command {
  constructor(
    readonly via: number,
    readonly actor: number,
  ) {}
  check = (model: Readonly<AccountModel>) => model.devices[this.actor]?.active === true;
  async run(model: AccountModel, real: Deployment): Promise<void> {
    const newPassword = `new password ${model.oldPasswords.length + 1}`;
    const actor = model.devices[this.actor];
    const answer = await call(
      real.urls[this.via],
      'POST',
      '/auth/password',
      { currentPassword: model.password, newPassword },
      actor.accessToken,
    );
    expect(answer.status).toBe(204);
    model.oldPasswords.push(model.password);
    model.password = newPassword;
    for (const device of model.devices) if (device !== actor) device.active = false;
  }
  toString = () => `changePassword(p${this.via}, d${this.actor})`;
}

class RevokeDevice implements Command {
  constructor(
    readonly via: number,
    readonly actor: number,
    readonly target: number,
  ) {}
  check = (model: Readonly<AccountModel>) => model.devices[this.actor]?.active === true && this.target < model.devices.length;
  async run(model: AccountModel, real: Deployment): Promise<void> {
    const target = model.devices[this.target];
    const answer = await call(real.urls[this.via], 'DELETE', `/devices/${target.id}`, undefined, model.devices[this.actor].accessToken);
    expect(answer.status).toBe(target.active ? 204 : 404);
    target.active = false;
  }
  toString = () => `revoke(p${this.via}, d${this.actor} → d${this.target})`;
}

class RevokeOthers implements Command {
  constructor(
    readonly via: number,
    readonly actor: number,
  ) {}
  check = (model: Readonly<AccountModel>) => model.devices[this.actor]?.active === true;
  async run(model: AccountModel, real: Deployment): Promise<void> {
    const actor = model.devices[this.actor];
    const others = model.devices.filter((device) => device !== actor && device.active);
    const answer = await call(real.urls[this.via], 'POST', '/devices/revoke-others', undefined, actor.accessToken);
    expect(answer).toEqual({ status: 200, body: { revoked: others.length } });
    for (const device of others) device.active = false;
  }
  toString = () => `revokeOthers(p${this.via}, d${this.actor})`;
}

class RevokeRefreshToken implements Command {
  constructor(
    readonly via: number,
    readonly device: number,
  ) {}
  check = (model: Readonly<AccountModel>) => this.device < model.devices.length;
  async run(model: AccountModel, real: Deployment): Promise<void> {
    const device = model.devices[this.device];
    expect((await call(real.urls[this.via], 'POST', '/auth/revoke', { token: device.refreshToken })).status).toBe(200);
    device.active = false;
  }
  toString = () => `rfc7009Revoke(p${this.via}, d${this.device})`;
}

class ListDevices implements Command {
  constructor(
    readonly via: number,
    readonly actor: number,
  ) {}
  check = (model: Readonly<AccountModel>) => model.devices[this.actor]?.active === true;
  async run(model: AccountModel, real: Deployment): Promise<void> {
    const answer = await call(real.urls[this.via], 'GET', '/devices', undefined, model.devices[this.actor].accessToken);
    expect(answer.status).toBe(200);
    const listed = (answer.body.devices as { id: string }[]).map((device) => device.id).sort();
    expect(listed).toEqual(
      model.devices
        .filter((device) => device.active)
        .map((device) => device.id)
        .sort(),
    );
  }
  toString = () => `list(p${this.via}, d${this.actor})`;
}

describe('two processes: password change races and random interleavings (e2e, fast-check)', () => {
  let cluster: ApiCluster;
  let processes: ApiProcess[];

  beforeAll(async () => {
    cluster = await startApiCluster(2, { LOGIN_RATE_LIMIT: '100000/15m', REVOCATION_SYNC_INTERVAL: '1s' });
    processes = cluster.processes;
  }, 60_000);

  afterAll(() => cluster?.stop());

  it.each([1, 2, 3])(
    'leaves no device of a sign-in on one process that checked the old password usable once a change on the other answered 204 (round %i)',
    async () => {
      const email = uniqueEmail('change-race');
      const [changer, other] = processes.map((process) => process.url);
      await registerOn(changer, email);
      const owner = (await signIn(changer, email, PASSWORD, 'Owner')).body as TokenResponse;
      const change = call(
        changer,
        'POST',
        '/auth/password',
        { currentPassword: PASSWORD, newPassword: 'a brand new password' },
        owner.access_token,
      );
      const logins = Array.from({ length: 8 }, async (_, index) => {
        await new Promise((done) => setTimeout(done, index * 20));
        return signIn(other, email, PASSWORD, 'Attacker');
      });
      const [changed, ...signIns] = await Promise.all([change, ...logins]);
      expect(changed.status).toBe(204);
      for (const attempt of signIns.filter((answer) => answer.status === 200)) {
        const tokens = attempt.body as TokenResponse;
        // Refresh tokens are checked in the database: refused at once, on both processes.
        for (const base of [changer, other]) {
          const refused = await call(base, 'POST', '/auth/refresh', { refresh_token: tokens.refresh_token });
          expect(refused.status).toBe(400);
          expect(refused.body.error).toBe('invalid_grant');
        }
        // Access tokens: as for every revocation, within REVOCATION_SYNC_INTERVAL on every process.
        for (const base of [changer, other]) await refusedOn(base, tokens.access_token);
      }
      expect(signIns.every((answer) => [200, 401].includes(answer.status))).toBe(true);
    },
  );

  it('keeps the revocation invariants of API.md after every step of random command sequences', async () => {
    const via = fc.integer({ min: 0, max: 1 });
    const device = fc.integer({ min: 0, max: 5 });
    const commands = [
      fc.tuple(via, fc.boolean()).map(([process, old]) => new SignIn(process, old)),
      fc.tuple(via, device).map(([process, index]) => new Refresh(process, index)),
      fc.tuple(via, device).map(([process, index]) => new ChangePassword(process, index)),
      fc.tuple(via, device, device).map(([process, actor, target]) => new RevokeDevice(process, actor, target)),
      fc.tuple(via, device).map(([process, index]) => new RevokeOthers(process, index)),
      fc.tuple(via, device).map(([process, index]) => new RevokeRefreshToken(process, index)),
      fc.tuple(via, device).map(([process, index]) => new ListDevices(process, index)),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 14 }), async (sequence) => {
        const urls = processes.map((process) => process.url);
        const email = uniqueEmail('model');
        await registerOn(urls[0], email);
        const model: AccountModel = { password: PASSWORD, oldPasswords: [], devices: [] };
        addDevice(model, (await signIn(urls[0], email, PASSWORD)).body as TokenResponse);
        await fc.asyncModelRun(() => ({ model, real: { urls, email } }), sequence);
        // Access tokens: refused on every process within REVOCATION_SYNC_INTERVAL, still good otherwise.
        await new Promise((done) => setTimeout(done, 1500));
        for (const { accessToken, active } of model.devices) {
          for (const url of urls) expect((await call(url, 'GET', '/me', undefined, accessToken)).status).toBe(active ? 200 : 401);
        }
      }),
      { numRuns: 8 },
    );
  }, 120_000);
});
