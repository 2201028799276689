import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAccessToken, RequiresStepUp } from '@app/auth';
import { ApiProblemResponse, ApiValidationResponse, CurrentActor, Origin, Public, type Actor, type RequestOrigin } from '@app/platform';
import { LinkTokenDto } from '../link-token.dto.js';
import { AccountSchema } from './account.schema.js';
import { AccountService, type AccountView } from './account.service.js';
import { ChangeEmailDto } from './change-email.dto.js';

@ApiTags('accounts')
@ApiProblemResponse(503, 'The database is unreachable.')
@Controller('account')
export class AccountController {
  constructor(private readonly account: AccountService) {}

  @Get()
  @ApiAccessToken()
  @ApiOperation({ operationId: 'getAccount', summary: 'The signed-in account' })
  @ApiOkResponse({ type: AccountSchema })
  get(@CurrentActor() actor: Actor): Promise<AccountView> {
    return this.account.get(actor);
  }

  @Post('email')
  @RequiresStepUp()
  @HttpCode(202)
  @ApiAccessToken()
  @ApiOperation({
    operationId: 'changeEmail',
    summary: "Change the account's address (confirmed from the new one)",
    description: 'Mails a confirmation link to the new address and a notice to the old one; nothing changes until the link is used.',
  })
  @ApiAcceptedResponse({ description: 'The mails are on their way (the same answer when the address is taken).' })
  @ApiValidationResponse()
  @ApiProblemResponse(429, 'Too many requests in the window; `Retry-After` says when to try again.', 'Retry-After')
  changeEmail(@CurrentActor() actor: Actor, @Body() body: ChangeEmailDto): Promise<void> {
    return this.account.requestEmailChange(actor, body.newEmail);
  }

  @Public()
  @Post('email/confirm')
  @HttpCode(204)
  @ApiOperation({ operationId: 'confirmEmailChange', summary: 'Confirm a new address with the mailed link' })
  @ApiNoContentResponse({ description: "The new address is the account's, verified; other devices stay signed in." })
  @ApiValidationResponse('A spent, expired, unknown or malformed link (`"error":"invalid_token"`).')
  @ApiProblemResponse(409, 'The address got an account of its own since the link was mailed.')
  @ApiProblemResponse(429, 'Too many requests in the window; `Retry-After` says when to try again.', 'Retry-After')
  confirmEmail(@Body() body: LinkTokenDto, @Origin() origin: RequestOrigin): Promise<void> {
    return this.account.confirmEmailChange(body.token, origin);
  }

  @Delete()
  @RequiresStepUp()
  @HttpCode(204)
  @ApiAccessToken()
  @ApiOperation({
    operationId: 'deleteAccount',
    summary: 'Delete the account',
    description: 'Revokes every device and erases the personal data; the revocations stay in the feed; the address can register again.',
  })
  @ApiNoContentResponse({ description: 'The account is deleted.' })
  delete(@CurrentActor() actor: Actor): Promise<void> {
    return this.account.delete(actor);
  }
}
