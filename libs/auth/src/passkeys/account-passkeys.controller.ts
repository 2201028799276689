import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { ApiProblemResponse, ApiValidationResponse, CurrentActor, uuidParam, type Actor } from '@app/platform';
import { ApiAccessToken } from '../openapi/api-access-token.decorator.js';
import { RequiresStepUp } from '../step-up/requires-step-up.decorator.js';
import { AddPasskeyDto } from './passkey.dto.js';
import { PasskeyNotFound } from './passkey.errors.js';
import { PasskeyCreationOptionsSchema, PasskeyListSchema, PasskeySchema } from './passkey.schema.js';
import { PasskeyService, type PasskeyView } from './passkey.service.js';

/** A malformed id is just an unknown passkey: the same 404. */
function passkeyId() {
  return uuidParam(() => new PasskeyNotFound());
}
const STEP_UP =
  'Needs a recent authentication on this device (`auth_time` within STEP_UP_MAX_AGE): otherwise `401` `insufficient_user_authentication`, and nothing changes.';

/** The signed-in account's passkeys (API.md § Strong authentication). */
@ApiTags('accounts')
@ApiProblemResponse(503, 'The database is unreachable.')
@Controller('account/passkeys')
export class AccountPasskeysController {
  constructor(private readonly passkeys: PasskeyService) {}

  @Post('options')
  @RequiresStepUp()
  @HttpCode(200)
  @ApiAccessToken()
  @ApiOperation({ operationId: 'passkeyCreationOptions', summary: 'Begin adding a passkey (step-up)', description: STEP_UP })
  @ApiOkResponse({ type: PasskeyCreationOptionsSchema })
  options(@CurrentActor() actor: Actor): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.passkeys.registrationOptions(actor);
  }

  @Post()
  @RequiresStepUp()
  @HttpCode(201)
  @ApiAccessToken()
  @ApiOperation({
    operationId: 'addPasskey',
    summary: 'Add a passkey (step-up)',
    description: `Verifies the authenticator's response to the options' challenge (spent, whatever the outcome) and stores the passkey. ${STEP_UP}`,
  })
  @ApiCreatedResponse({ type: PasskeySchema, description: 'Added (event `passkey_added`).' })
  @ApiValidationResponse()
  @ApiProblemResponse(409, 'This passkey is registered already.')
  add(@CurrentActor() actor: Actor, @Body() body: AddPasskeyDto): Promise<PasskeyView> {
    return this.passkeys.register(actor, body.response, body.name);
  }

  @Get()
  @ApiAccessToken()
  @ApiOperation({ operationId: 'listPasskeys', summary: "The account's passkeys" })
  @ApiOkResponse({ type: PasskeyListSchema })
  async list(@CurrentActor() actor: Actor): Promise<{ passkeys: PasskeyView[] }> {
    return { passkeys: await this.passkeys.list(actor) };
  }

  @Delete(':id')
  @RequiresStepUp()
  @HttpCode(204)
  @ApiAccessToken()
  @ApiOperation({ operationId: 'removePasskey', summary: 'Remove a passkey (step-up)', description: STEP_UP })
  @ApiNoContentResponse({ description: 'Removed (event `passkey_removed`): it signs nothing in any more.' })
  @ApiProblemResponse(404, "No such passkey (or another account's).")
  remove(@CurrentActor() actor: Actor, @Param('id', passkeyId()) id: string): Promise<void> {
    return this.passkeys.remove(actor, id);
  }
}
