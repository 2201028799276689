import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { ACCOUNT_EMAIL_PROPERTY, IsAccountEmail } from '@app/auth';

@ApiSchema({ name: 'ChangeEmailRequest' })
export class ChangeEmailDto {
  @ApiProperty(ACCOUNT_EMAIL_PROPERTY)
  @IsAccountEmail()
  newEmail!: string;
}
