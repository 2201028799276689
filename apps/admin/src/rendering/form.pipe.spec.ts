import { IsString, Length } from 'class-validator';
import { ValidationFailed } from '@app/platform';
import { FormPipe, fieldLabel } from './form.pipe.js';

class ExampleForm {
  @IsString()
  @Length(8, 128, { message: 'must be 8 to 128 characters' })
  newPassword!: string;
}

describe('FormPipe', () => {
  it('names camelCase fields in words', () => {
    expect(fieldLabel('name')).toBe('Name');
    expect(fieldLabel('newEmail')).toBe('New email');
    expect(fieldLabel('currentPassword')).toBe('Current password');
  });

  it('says what is wrong with the first field in one sentence', () => {
    const pipe = new FormPipe();
    let refused: unknown;
    try {
      pipe.transform({ newPassword: 'short', _csrf: 'x' }, { type: 'body', metatype: ExampleForm });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ValidationFailed);
    expect((refused as ValidationFailed).detail).toBe('New password must be 8 to 128 characters.');
    expect(pipe.transform({ newPassword: 'long enough', _csrf: 'x' }, { type: 'body', metatype: ExampleForm })).toEqual({
      newPassword: 'long enough',
    });
  });
});
