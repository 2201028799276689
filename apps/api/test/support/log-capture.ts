/** A pino destination that keeps what the app logs: the raw text, and each line parsed. */
export class LogCapture {
  readonly raw: string[] = [];

  write(chunk: string): void {
    this.raw.push(chunk);
  }

  get text(): string {
    return this.raw.join('');
  }

  /** Every line as JSON (a line that is not JSON fails the test that reads it). */
  get entries(): Array<Record<string, unknown>> {
    return this.text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** The request lines (one per answered request). */
  get requests(): Array<Record<string, unknown>> {
    return this.entries.filter((entry) => entry.msg === 'request completed' || entry.msg === 'request failed');
  }
}
