const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);

/**
 * True for errors that mean the database cannot be reached or is overloaded: the one case
 * where API.md allows a 5xx (503), as opposed to a bug (500).
 */
export function isDatabaseOutage(error: unknown): boolean {
  for (
    let current = error as { code?: unknown; driverError?: unknown; message?: unknown } | undefined, depth = 0;
    current && depth < 4;
    current = current.driverError as typeof current, depth++
  ) {
    const code = typeof current.code === 'string' ? current.code : '';
    if (OUTAGE_CODES.has(code) || code.startsWith('08') || code.startsWith('SQLITE_IOERR')) return true;
    const message = typeof current.message === 'string' ? current.message : '';
    if (
      /Connection terminated|not currently accepting connections|the database system is (starting up|shutting down)|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|The database connection is not open|Driver not Connected/i.test(
        message,
      )
    ) {
      return true;
    }
  }
  return false;
}
