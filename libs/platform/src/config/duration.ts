const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a duration as API.md's configuration table allows it: plain seconds or a number
 * with one unit (`900`, `900s`, `15m`, `12h`, `30d`). Returns seconds, or `undefined` when
 * the value is not such a duration, so the caller can name the variable in its message.
 */
export function parseDurationSeconds(value: string): number | undefined {
  const match = /^\s*(\d{1,9})\s*([smhd]?)\s*$/.exec(value);
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] || 's'];
  return Number.isSafeInteger(seconds) ? seconds : undefined;
}
