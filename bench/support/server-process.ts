import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

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

/** What the log reader counted on a server's stdout. */
export interface LogReading {
  readonly lines: number;
  readonly bytes: number;
}

/** bench/log-reader, built beside this file's folder (dist/bench/). */
const LOG_READER = fileURLToPath(new URL('../log-reader/main.js', import.meta.url));

/**
 * A server started as its own process (`node <script>`), on 127.0.0.1 and a free port, its
 * stdout read through a pipe by a log reader of its own (bench/log-reader: a process that
 * counts lines, as a log shipper on the host would read them), as in production: the server
 * pays for writing its log to a pipe someone reads.
 */
export class ServerProcess {
  private stderr = '';

  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly reader: ChildProcess,
    private readonly reading: Promise<LogReading>,
  ) {
    child.stderr?.on('data', (chunk: Buffer) => {
      // Kept for the error message if it dies; bounded.
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
  }

  static async start(options: ServerProcessOptions): Promise<ServerProcess> {
    if (!existsSync(options.script)) throw new Error(`${options.script} is missing: run "npm run build" first (npm run bench does).`);
    const port = await freePort();
    const reader = spawn(process.execPath, [LOG_READER], { stdio: ['pipe', 'pipe', 'inherit'] });
    running.add(reader);
    const reading = new Promise<LogReading>((done, fail) => {
      let output = '';
      reader.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      // 'close', not 'exit': only then has all of its stdout been read ('exit' can come first,
      // and an empty reading then crashed the harness as a figure ended).
      reader.once('close', (code) => {
        running.delete(reader);
        if (code === 0) done(JSON.parse(output) as LogReading);
        else fail(new Error(`the log reader of ${options.name} exited with ${code}`));
      });
    });
    // Unhandled until someone asks (logReading()): a reader killed with the harness is no news.
    reading.catch(() => undefined);
    const child = spawn(process.execPath, [options.script], {
      cwd: options.cwd,
      // PUBLIC_URL: the API refuses to start in production without it (DPoP proofs are checked
      // against it); a server's own address, unless the caller names another.
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, ...options.env },
      stdio: ['ignore', reader.stdin!, 'pipe'],
    });
    running.add(child);
    child.once('exit', () => {
      running.delete(child);
      // The server's end of the pipe closed with it; this process's copy ends the reader's input.
      reader.stdin!.destroy();
    });
    const server = new ServerProcess(options.name, `http://127.0.0.1:${port}`, child, reader, reading);
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

  /** What the log reader counted: resolves once the server has stopped and the pipe is drained. */
  logReading(): Promise<LogReading> {
    return this.reading;
  }

  /** The log reader's pid (its CPU is neither the server's nor the load generator's). */
  get readerPid(): number {
    return this.reader.pid ?? -1;
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
