import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TokenResponse } from '@app/auth';
import { freePort } from '../../../bench/support/server-process.js';
import { startApiProcess, type ApiProcess, type ProcessExit } from '../../../test/support/app-process.js';
import { settles, waitFor } from '../../../test/support/wait-for.js';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from './support/test-api.js';

const PASSWORD = 'correct horse battery';
/** Concurrent clients, each sending GET /me as soon as its last answer came back. */
const STREAMS = 8;
/** Answers received before the process is stopped: enough that lines are waiting in the buffer. */
const ANSWERS_BEFORE_STOP = 300;

interface Answer {
  readonly requestId: string;
  readonly status: number;
}

/**
 * In production the log lines are buffered (4 KiB, or 250 ms) and written out at exit: the
 * real built API in production mode, under load, loses no line when it is stopped (SIGTERM), nor
 * when it dies of an uncaught exception, nor when it cannot start. Every request answered has
 * its line, matched by the id its response carried, with the status the client got.
 */
describe('request lines survive the exit (e2e)', () => {
  let database: ScratchDatabase;
  let scratch: string;

  beforeAll(async () => {
    database = await scratchDatabase();
    scratch = mkdtempSync(join(tmpdir(), 'request-log-durability-'));
  });

  afterAll(async () => {
    await database.remove();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function productionEnv(port: number, extra: Record<string, string> = {}): Promise<Record<string, string>> {
    return {
      NODE_ENV: 'production',
      LOG_FORMAT: 'json',
      // Nothing is mailed that matters here: the verification mail waits for a server that never answers.
      SMTP_URL: 'smtp://127.0.0.1:9',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: database.url,
      JWT_SECRET: TEST_JWT_SECRET,
      LOGIN_RATE_LIMIT: '1000/15m',
      REGISTER_RATE_LIMIT: '1000/1h',
      ...extra,
    };
  }

  async function startProductionApi(extra: Record<string, string> = {}): Promise<ApiProcess> {
    const port = await freePort();
    return startApiProcess(await productionEnv(port, extra), { port });
  }

  async function signIn(api: ApiProcess): Promise<TokenResponse> {
    const email = `durable-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
    const post = (path: string, body: unknown) =>
      fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/auth/register', { email, password: PASSWORD })).status).toBe(201);
    const login = await post('/auth/login', { email, password: PASSWORD, device: { name: 'Phone' } });
    expect(login.status).toBe(200);
    return (await login.json()) as TokenResponse;
  }

  /**
   * Streams of GET /me until the server is gone; `stop` ends the process once enough have been
   * answered. Returns every answer the clients received, and how the process exited.
   */
  async function answersUntil(api: ApiProcess, stop: () => Promise<ProcessExit>): Promise<{ answers: Answer[]; exit: ProcessExit }> {
    const tokens = await signIn(api);
    const answers: Answer[] = [];
    let stopping = false;
    const failuresBeforeStop: unknown[] = [];
    const streams = Array.from({ length: STREAMS }, async () => {
      for (;;) {
        try {
          const response = await fetch(`${api.url}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
          await response.arrayBuffer();
          answers.push({ requestId: response.headers.get('x-request-id')!, status: response.status });
        } catch (error) {
          // Refused or reset once the process has stopped listening or died: a request it never answered.
          if (!stopping) failuresBeforeStop.push(error);
          return;
        }
      }
    });
    await waitFor(() => answers.length >= ANSWERS_BEFORE_STOP, { what: `${ANSWERS_BEFORE_STOP} answers` });
    stopping = true;
    const exit = await settles(stop(), { timeoutMs: 20_000, what: 'the process exiting' });
    await Promise.all(streams);
    expect(failuresBeforeStop).toEqual([]);
    return { answers, exit };
  }

  /** The process's stdout, one JSON object a line (a line cut short would fail to parse here). */
  function logLines(api: ApiProcess): Array<Record<string, unknown>> {
    return api
      .output()
      .stdout.split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Every answer the clients received has its line, with the status they got. */
  function expectEveryAnswerLogged(lines: Array<Record<string, unknown>>, answers: Answer[]): void {
    const byId = new Map(lines.filter((line) => typeof line.requestId === 'string').map((line) => [line.requestId, line]));
    const missing = answers.filter((answer) => byId.get(answer.requestId)?.status !== answer.status);
    expect(missing).toEqual([]);
    expect(answers.length).toBeGreaterThanOrEqual(ANSWERS_BEFORE_STOP);
  }

  it('writes the line of every request it answered when stopped with SIGTERM under load, then exits 0', async () => {
    const api = await startProductionApi();
    const { answers, exit } = await answersUntil(api, () => api.stop());
    expect(exit).toEqual({ code: 0, signal: null });
    expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([200]));
    const lines = logLines(api);
    expectEveryAnswerLogged(lines, answers);
    // The shutdown's own lines were written too, after the signal's.
    expect(lines.some((line) => String(line.msg).includes('SIGTERM: no new connections'))).toBe(true);
  }, 60_000);

  it('logs an uncaught exception at fatal, with every request line before it, and exits 1', async () => {
    // The real built API, with one thing added before it starts (node --import): a SIGUSR2
    // listener that throws, an uncaught exception at a moment the test chooses, under load.
    const preload = join(scratch, 'throw-on-sigusr2.mjs');
    writeFileSync(preload, "process.on('SIGUSR2', () => { throw new Error('a fatal error, thrown for the test'); });\n");
    const api = await startProductionApi({ NODE_OPTIONS: `--import ${pathToFileURL(preload).href}` });
    const { answers, exit } = await answersUntil(api, () => api.signal('SIGUSR2'));
    expect(exit).toEqual({ code: 1, signal: null });
    const lines = logLines(api);
    expectEveryAnswerLogged(lines, answers);
    const fatal = lines.filter((line) => line.level === 'fatal');
    expect(fatal).toEqual([
      expect.objectContaining({
        context: 'Lifecycle',
        msg: 'Uncaught exception: a fatal error, thrown for the test',
        stack: expect.stringContaining('throw-on-sigusr2.mjs'),
      }),
    ]);
    // The last line written: nothing after the fatal error.
    expect(lines.at(-1)).toBe(fatal[0]);
  }, 60_000);

  it('writes out its fatal line when it cannot start (the port is taken) and exits 1', async () => {
    const running = await startProductionApi();
    try {
      const port = Number(new URL(running.url).port);
      const child = spawn(process.execPath, [resolve('dist/apps/api/src/main.js')], {
        env: { HOST: '127.0.0.1', PORT: String(port), ...(await productionEnv(port)) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      const code = await settles(new Promise<number | null>((done) => child.once('exit', done)), {
        timeoutMs: 20_000,
        what: 'the second process exiting',
      });
      expect(code).toBe(1);
      const fatal = stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.level === 'fatal');
      expect(fatal).toEqual([expect.objectContaining({ msg: expect.stringMatching(/^Could not start: .*EADDRINUSE/) })]);
    } finally {
      await running.stop();
    }
  }, 60_000);
});
