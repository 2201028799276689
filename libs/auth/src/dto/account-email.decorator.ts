import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength, ValidateBy } from 'class-validator';
import { normalizeAccountEmail } from '@app/platform';

/**
 * API.md: an email is trimmed, NFC-normalised and compared case-insensitively (stored in that
 * canonical form, so the unique index compares it); one with a control, format or space
 * character inside is refused.
 */
/** The OpenAPI description of such an email (the rules above, for client authors). */
export const ACCOUNT_EMAIL_PROPERTY = {
  type: 'string',
  format: 'email',
  maxLength: 254,
  description: 'Trimmed, NFC-normalised and compared case-insensitively; control, format (zero-width) and space characters are refused.',
} as const;

export const IsAccountEmail = () =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? (normalizeAccountEmail(value) ?? value) : value)),
    IsString(),
    ValidateBy(
      {
        name: 'isCanonicalEmail',
        validator: { validate: (value: unknown) => typeof value === 'string' && normalizeAccountEmail(value) === value },
      },
      { message: 'must not contain spaces, control or invisible characters' },
    ),
    MaxLength(254),
    IsEmail({}, { message: 'must be an email address' }),
  );
