import { Body, Controller, Header, HttpCode, Post, UseInterceptors } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponse, Origin, Public, wireHeaders, type RequestOrigin } from '@app/platform';
import { Dpop, type DpopRequest } from '../dpop/dpop-request.js';
import { DeviceLogInterceptor } from '../logging/device-log.interceptor.js';
import { ApiDpopProofHeader } from '../openapi/api-access-token.decorator.js';
import { TokenResponseSchema } from '../openapi/token-response.schema.js';
import type { TokenResponse } from '../tokens/token-response.js';
import { PasskeyLoginDto } from './passkey.dto.js';
import { PasskeySignInOptionsSchema } from './passkey.schema.js';
import { PasskeyService, type PasskeySignInOptions } from './passkey.service.js';

/** Signing in with a passkey alone (API.md § Strong authentication). */
@ApiTags('auth')
@Controller('auth/passkey')
export class PasskeySignInController {
  constructor(private readonly passkeys: PasskeyService) {}

  @Public()
  @Post('options')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'passkeySignInOptions',
    summary: 'Begin a passkey sign-in',
    description: 'A challenge for any discoverable passkey of this relying party, single-use and good for 5 minutes.',
  })
  @ApiOkResponse({ type: PasskeySignInOptionsSchema, headers: wireHeaders('Cache-Control') })
  @ApiProblemResponse(503, 'The database is unreachable.')
  options(): Promise<PasskeySignInOptions> {
    return this.passkeys.signInOptions();
  }

  @Public()
  @Post('login')
  @UseInterceptors(DeviceLogInterceptor)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'passkeyLogin',
    summary: 'Sign in a device with a passkey',
    description:
      'Verifies the assertion against the challenge (spent, whatever the outcome) and creates a device and its session exactly as `POST /auth/login` does (`amr` `["hwk","user","mfa"]`); a valid `DPoP` proof binds it. Counted against the per-IP sign-in limit before it is checked.',
  })
  @ApiDpopProofHeader('Optional (required with `DPOP_REQUIRED=true`): a proof (RFC 9449 §4) that binds the new device to its key.')
  @ApiOkResponse({ type: TokenResponseSchema, description: 'Signed in.', headers: wireHeaders('Cache-Control') })
  @ApiProblemResponse(
    400,
    'The body is not valid (`errors`), or the DPoP proof is (`error`: `invalid_dpop_proof`, or `use_dpop_nonce` with a `DPoP-Nonce` header).',
    'DPoP-Nonce',
  )
  @ApiProblemResponse(
    401,
    'The passkey could not be verified: a wrong signature, origin or RP id, a spent, expired or unknown challenge, an unknown or removed credential, a counter that went backwards. Nothing was created.',
  )
  @ApiProblemResponse(
    429,
    'Too many sign-in attempts from this address in the window; `Retry-After` says when to try again.',
    'Retry-After',
  )
  @ApiProblemResponse(503, 'The database is unreachable.')
  login(@Body() body: PasskeyLoginDto, @Origin() origin: RequestOrigin, @Dpop() dpop: DpopRequest): Promise<TokenResponse> {
    return this.passkeys.signIn(body.challengeId, body.response, body.device, origin, dpop);
  }
}
