import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/** Reads a posted form into a DTO; the first problem as a sentence, or the DTO. */
export function readForm<T extends object>(dto: new () => T, body: unknown): { value: T } | { error: string } {
  const value = plainToInstance(dto, typeof body === 'object' && body !== null ? body : {});
  const errors = validateSync(value, { whitelist: true, stopAtFirstError: true });
  if (errors.length === 0) return { value };
  const [first] = errors;
  const message = Object.values(first.constraints ?? {})[0] ?? 'is invalid';
  const label = first.property.charAt(0).toUpperCase() + first.property.slice(1);
  return { error: `${label} ${message.startsWith(first.property + ' ') ? message.slice(first.property.length + 1) : message}.` };
}
