import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponse, ApiValidationResponse, Origin, Public, type RequestOrigin } from '@app/platform';
import { ForgotPasswordDto, ResetPasswordDto } from './password-reset.dto.js';
import { PasswordResetService } from './password-reset.service.js';

@ApiTags('accounts')
@Public()
@ApiProblemResponse(429, 'Too many requests in the window; `Retry-After` says when to try again.', 'Retry-After')
@Controller('auth/password')
export class PasswordResetController {
  constructor(private readonly resets: PasswordResetService) {}

  @Post('forgot')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'forgotPassword',
    summary: 'Mail a password reset link',
    description: 'Always 202, with the same body and about the same time whether or not the address has an account.',
  })
  @ApiAcceptedResponse({ description: 'If the address has an account, a reset link is on its way.' })
  @ApiValidationResponse()
  forgot(@Body() body: ForgotPasswordDto, @Origin() origin: RequestOrigin): Promise<void> {
    return this.resets.forgot(body.email, origin);
  }

  @Post('reset')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'resetPassword',
    summary: 'Set a new password with a mailed link',
    description: 'Spends the link, verifies the address, and revokes every device of the account. Does not sign in.',
  })
  @ApiNoContentResponse({ description: 'The password is set; every device of the account is signed out.' })
  @ApiValidationResponse('A spent, expired, unknown or malformed link (`"error":"invalid_token"`), or an invalid password.')
  @ApiProblemResponse(503, 'The password-hashing queue is full, or the database is unreachable.', 'Retry-After')
  reset(@Body() body: ResetPasswordDto, @Origin() origin: RequestOrigin): Promise<void> {
    return this.resets.reset(body.token, body.newPassword, origin);
  }
}
