import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, Length, Matches } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** Trims surrounding white space; every string field of a request goes through it. */
export const Trim = () => Transform(trim);

/**
 * API.md's device name: 1–64 characters after trimming, any script, no control characters.
 * A display label only: names need not be unique.
 */
/** The OpenAPI description of a device name. */
export const DEVICE_NAME_PROPERTY = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  description: 'A display label, 1–64 characters after trimming, any script, no control characters; need not be unique.',
  example: 'Pixel 9',
} as const;

export const IsDeviceName = () =>
  applyDecorators(
    Trim(),
    IsString(),
    IsNotEmpty({ message: 'must not be empty' }),
    Length(1, 64, { message: 'must be 1 to 64 characters' }),
    Matches(/^[^\p{Cc}\p{Zl}\p{Zp}]*$/u, { message: 'must not contain control characters' }),
  );
