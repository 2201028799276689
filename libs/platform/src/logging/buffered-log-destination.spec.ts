import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferedLogDestination } from './buffered-log-destination.js';

describe('BufferedLogDestination', () => {
  let folder: string;
  let file: string;
  let fd: number;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'buffered-log-'));
    file = join(folder, 'out.log');
    fd = openSync(file, 'w');
  });

  afterEach(() => {
    closeSync(fd);
    rmSync(folder, { recursive: true, force: true });
  });

  const written = () => readFileSync(file, 'utf8');

  it('keeps lines in memory until flushSync, then writes them in order', () => {
    const destination = new BufferedLogDestination(fd, 1024);
    destination.write('{"n":1}\n');
    destination.write('{"n":2}\n');
    expect(written()).toBe('');
    destination.flushSync();
    expect(written()).toBe('{"n":1}\n{"n":2}\n');
    destination.flushSync();
    expect(written()).toBe('{"n":1}\n{"n":2}\n');
  });

  it('writes the buffer out before a line that might not fit, so no line is ever split or lost', () => {
    const destination = new BufferedLogDestination(fd, 64);
    const lines = Array.from({ length: 20 }, (_, index) => `{"n":${index},"s":"${'é'.repeat(index % 5)}"}\n`);
    for (const line of lines) destination.write(line);
    expect(written().length).toBeGreaterThan(0);
    destination.flushSync();
    expect(written()).toBe(lines.join(''));
  });

  it('writes a line longer than the whole buffer on its own, after what was waiting', () => {
    const destination = new BufferedLogDestination(fd, 32);
    const long = `{"s":"${'x'.repeat(100)}€"}\n`;
    destination.write('{"n":1}\n');
    destination.write(long);
    destination.write('{"n":2}\n');
    destination.flushSync();
    expect(written()).toBe(`{"n":1}\n${long}{"n":2}\n`);
  });

  it('drops lines, without throwing, once the output is gone', () => {
    const destination = new BufferedLogDestination(fd, 64);
    closeSync(fd);
    destination.write('{"n":1}\n');
    expect(() => destination.flushSync()).not.toThrow();
    expect(() => destination.write('{"n":2}\n')).not.toThrow();
    fd = openSync(file, 'r');
  });
});
