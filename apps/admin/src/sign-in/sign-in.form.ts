import { Transform } from 'class-transformer';
import { IsString, Length, MaxLength } from 'class-validator';

export class SignInForm {
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsString()
  @Length(3, 254, { message: 'is required' })
  email!: string;

  @IsString()
  @MaxLength(128)
  @Length(1, 128, { message: 'is required' })
  password!: string;
}
