import { IsString, Length } from 'class-validator';

export class ChangePasswordDto {
  @IsString()
  @Length(1, 128, { message: 'must be 1 to 128 characters' })
  currentPassword!: string;

  @IsString()
  @Length(8, 128, { message: 'must be 8 to 128 characters' })
  newPassword!: string;
}
