import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { fieldErrorsOf, ValidationFailed } from '@app/platform';

/**
 * `@Body(FormPipe) form: SignInForm`: a posted form read into its DTO class and validated
 * (unknown fields, such as `_csrf`, are dropped). A problem is a ValidationFailed whose detail
 * is one sentence a person can read on the page: "Name must be 1 to 64 characters.", a
 * camelCase field in words ("New password must be 8 to 128 characters.").
 */
@Injectable()
export class FormPipe implements PipeTransform {
  transform(body: unknown, metadata: ArgumentMetadata): unknown {
    const dto = metadata.metatype as (new () => object) | undefined;
    if (!dto) return body;
    const value = plainToInstance(dto, typeof body === 'object' && body !== null ? body : {});
    const errors = fieldErrorsOf(validateSync(value, { whitelist: true, stopAtFirstError: true }));
    if (errors.length === 0) return value;
    const [first] = errors;
    throw new ValidationFailed(errors, `${fieldLabel(first.field)} ${first.message}.`);
  }
}

/** A form field's name as a person reads it: `newPassword` → "New password". */
export function fieldLabel(field: string): string {
  const words = field.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}`;
}
