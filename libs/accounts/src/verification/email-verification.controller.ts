import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAccessToken } from '@app/auth';
import { ApiProblemResponse, ApiValidationResponse, CurrentActor, Origin, Public, type Actor, type RequestOrigin } from '@app/platform';
import { LinkTokenDto } from '../link-token.dto.js';
import { EmailVerificationService } from './email-verification.service.js';

@ApiTags('accounts')
@ApiProblemResponse(429, 'Too many requests in the window; `Retry-After` says when to try again.', 'Retry-After')
@Controller('auth/email/verify')
export class EmailVerificationController {
  constructor(private readonly verification: EmailVerificationService) {}

  @Post('request')
  @HttpCode(202)
  @ApiAccessToken()
  @ApiOperation({ operationId: 'requestEmailVerification', summary: 'Mail a new verification link (one a minute)' })
  @ApiAcceptedResponse({ description: 'A link is on its way (nothing is sent for an address already verified).' })
  request(@CurrentActor() actor: Actor): Promise<void> {
    return this.verification.request(actor);
  }

  @Public()
  @Post()
  @HttpCode(204)
  @ApiOperation({ operationId: 'verifyEmail', summary: "Verify the account's address with a mailed link" })
  @ApiNoContentResponse({ description: 'The address is verified.' })
  @ApiValidationResponse('A spent, expired, unknown or malformed link (`"error":"invalid_token"`).')
  verify(@Body() body: LinkTokenDto, @Origin() origin: RequestOrigin): Promise<void> {
    return this.verification.verify(body.token, origin);
  }
}
