import { writeSync } from 'node:fs';

/** How long a write waits before trying again when the pipe is full and the fd non-blocking (EAGAIN). */
const FULL_PIPE_RETRY_MS = 10;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * A pino destination that collects lines in one fixed buffer (their UTF-8 bytes, encoded in
 * place) and writes the buffer with one synchronous write when the next line might not fit, on
 * a timer, and on flushSync (at exit, and pino's own on every fatal line).
 *
 * Why not pino.destination({ minLength }) (SonicBoom): it appends each line to a growing string
 * and measures that string's UTF-8 length on every write, so each request line made up to a few
 * KiB of garbage to collect (measured: a third of a request line's cost, most of it in GC
 * threads); and with `sync: false` a write still on libuv's thread pool at process.exit() can
 * be lost. Here a line costs one encode into memory already there, and a write is finished when
 * it returns, so flushSync() at exit leaves nothing behind.
 *
 * A full pipe (the reader stalled) blocks the process as synchronous lines always did, rather
 * than growing memory without bound. If stdout is gone (EPIPE, EBADF), lines are dropped and the
 * app keeps serving.
 */
export class BufferedLogDestination {
  private readonly buffer: Buffer;
  private used = 0;
  private broken = false;

  constructor(
    private readonly fd: number,
    bytes: number,
  ) {
    this.buffer = Buffer.allocUnsafe(bytes);
  }

  write(line: string): void {
    if (this.broken) return;
    const free = this.buffer.length - this.used;
    // At most 3 bytes per UTF-16 unit: the exact length is measured only when that might not fit.
    if (line.length * 3 > free) {
      const bytes = Buffer.byteLength(line);
      if (bytes > free) {
        this.flushSync();
        if (bytes > this.buffer.length) {
          this.writeOut(Buffer.from(line), bytes);
          return;
        }
      }
    }
    this.used += this.buffer.write(line, this.used);
  }

  /** Writes out what is buffered, now; returns once it is written. */
  flushSync(): void {
    if (this.used === 0 || this.broken) return;
    const used = this.used;
    this.used = 0;
    this.writeOut(this.buffer, used);
  }

  private writeOut(bytes: Buffer, length: number): void {
    let offset = 0;
    while (offset < length && !this.broken) {
      try {
        offset += writeSync(this.fd, bytes, offset, length - offset);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, FULL_PIPE_RETRY_MS);
        else this.broken = true;
      }
    }
  }
}
