import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAccessToken, RequiresStepUp } from '@app/auth';
import { ApiProblemResponse, ApiValidationResponse, CurrentActor, type Actor } from '@app/platform';
import { ConfirmTotpDto } from './confirm-totp.dto.js';
import { RecoveryCodesSchema, TotpEnrolmentSchema } from './totp.schema.js';
import { TotpService, type TotpEnrolment } from './totp.service.js';

@ApiTags('accounts')
@ApiProblemResponse(503, 'The database is unreachable.')
@Controller('account/totp')
export class TotpController {
  constructor(private readonly totp: TotpService) {}

  @Post()
  @RequiresStepUp()
  @HttpCode(200)
  @ApiAccessToken()
  @ApiOperation({
    operationId: 'enrolTotp',
    summary: 'Start enrolling a TOTP second factor (step-up)',
    description:
      'Answers a new secret, stored encrypted and inactive until confirmed; it replaces an unconfirmed one. Needs a recent authentication (`401 insufficient_user_authentication` otherwise).',
  })
  @ApiOkResponse({ type: TotpEnrolmentSchema })
  @ApiProblemResponse(409, 'TOTP is already on: turn it off first.')
  enrol(@CurrentActor() actor: Actor): Promise<TotpEnrolment> {
    return this.totp.enrol(actor);
  }

  @Post('confirm')
  @HttpCode(200)
  @ApiAccessToken()
  @ApiOperation({
    operationId: 'confirmTotp',
    summary: 'Turn TOTP on with a first code',
    description: 'Answers 10 single-use recovery codes, the only time they are shown (event `totp_enabled`).',
  })
  @ApiOkResponse({ type: RecoveryCodesSchema })
  @ApiValidationResponse('The body is not valid, or the code does not match (`"error":"invalid_code"`).')
  @ApiProblemResponse(409, 'No enrolment is waiting to be confirmed.')
  @ApiProblemResponse(429, 'Too many codes for this account in the window; `Retry-After` says when to try again.', 'Retry-After')
  confirm(@CurrentActor() actor: Actor, @Body() body: ConfirmTotpDto): Promise<{ recoveryCodes: string[] }> {
    return this.totp.confirm(actor, body.code);
  }

  @Delete()
  @RequiresStepUp()
  @HttpCode(204)
  @ApiAccessToken()
  @ApiOperation({
    operationId: 'disableTotp',
    summary: 'Turn TOTP off (step-up)',
    description: 'Removes the secret and the recovery codes (event `totp_disabled`). Needs a recent authentication.',
  })
  @ApiNoContentResponse({ description: 'TOTP is off.' })
  @ApiProblemResponse(404, 'The account has no TOTP.')
  disable(@CurrentActor() actor: Actor): Promise<void> {
    return this.totp.disable(actor);
  }
}
