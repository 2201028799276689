import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Linux USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const CLOCK_TICKS_PER_S = 100;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

const running = new Set<ChildProcess>();
// If the harness dies half-way, its servers must not outlive it (each by its own pid).
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export interface ServerProcessOptions {
  /** What the table calls it. */
  readonly name: string;
  /** The built entry point, e.g. dist/apps/api/src/main.js. */
  readonly script: string;
  /** Working directory: the scratch folder, so no stray `.env` is read. */
  readonly cwd: string;
  readonly env: Record<string, string>;
  /** A path answering 200 once the server is ready. */
  readonly readyPath: string;
}

/** A server started as its own process (`node <script>`), on 127.0.0.1 and a free port. */
export class ServerProcess {
  private stderr = '';

  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly child: ChildProcess,
  ) {
    child.stderr?.on('data', (chunk: Buffer) => {
      // Kept for the error message if it dies; bounded.
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
  }

  static async start(options: ServerProcessOptions): Promise<ServerProcess> {
    if (!existsSync(options.script)) throw new Error(`${options.script} is missing: run "npm run build" first (npm run bench does).`);
    const port = await freePort();
    const child = spawn(process.execPath, [options.script], {
      cwd: options.cwd,
      // PUBLIC_URL: the API refuses to start in production without it (DPoP proofs are checked
      // against it); a server's own address, unless the caller names another.
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, ...options.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    const server = new ServerProcess(options.name, `http://127.0.0.1:${port}`, child);
    await server.waitReady(options.readyPath);
    return server;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private async waitReady(path: string): Promise<void> {
    const started = Date.now();
    while (Date.now() - started < START_TIMEOUT_MS) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}): ${this.stderr}`);
      try {
        if ((await fetch(`${this.url}${path}`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((done) => setTimeout(done, 100));
    }
    await this.stop();
    throw new Error(`${this.name} did not answer ${path} within ${START_TIMEOUT_MS} ms: ${this.stderr}`);
  }

  /** Resident memory in KiB (VmRSS), and its peak (VmHWM). */
  memory(): { rssKiB: number; peakKiB: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKiB: field('VmRSS'), peakKiB: field('VmHWM') };
  }

  /** CPU seconds used so far (user + system), from /proc/<pid>/stat. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((done) => {
      const force = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      this.child.once('exit', () => {
        clearTimeout(force);
        done();
      });
      this.child.kill('SIGTERM');
    });
  }
}
