import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ValidationFailed, type FieldError } from './errors/domain-error.js';

/**
 * DTO validation for every app: unknown fields are rejected (API.md), values are not
 * coerced, and failures become a ValidationFailed listing each field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    stopAtFirstError: true,
    exceptionFactory: (errors) => new ValidationFailed(fieldErrorsOf(errors)),
  });
}

/**
 * class-validator's errors as API.md's `errors: [{field, message}]`, nested fields as
 * `device.name`. Every app's validation (the pipe, the token endpoints, dashboard forms) reads
 * them through this.
 */
export function fieldErrorsOf(errors: readonly ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix + error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      // class-validator's default messages start with the property name; the field says it.
      message: message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message.replace(/^property \S+ /, ''),
    }));
    return [...own, ...fieldErrorsOf(error.children ?? [], `${field}.`)];
  });
}
