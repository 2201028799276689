import type { ValueTransformer } from 'typeorm';

/**
 * Times are stored as epoch milliseconds in BIGINT columns: the same type, comparison and
 * arithmetic on SQLite and PostgreSQL, with no time-zone conversion in either driver.
 * PostgreSQL returns BIGINT as a string, hence the conversion on read.
 */
export const epochMs: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? value : Number(value)),
};
