import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';

export const normalizeEmail = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class RegisterDto {
  @Transform(normalizeEmail)
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'must be an email address' })
  email!: string;

  @IsString()
  @Length(8, 128, { message: 'must be 8 to 128 characters' })
  password!: string;
}
