import { applyDecorators, Body, Controller, Header, HttpCode, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiProblemResponse,
  ApiValidationResponse,
  Public,
  wireHeaders,
  type Actor,
  type RequestOrigin,
  CurrentActor,
  Origin,
} from '@app/platform';
import { AuthService } from '../login/auth.service.js';
import { Dpop, type DpopRequest } from '../dpop/dpop-request.js';
import { ChangePasswordDto } from '../dto/change-password.dto.js';
import { LoginDto } from '../dto/login.dto.js';
import { LoginMfaDto } from '../dto/login-mfa.dto.js';
import { ReauthenticateDto } from '../dto/reauthenticate.dto.js';
import { PasskeyService } from '../passkeys/passkey.service.js';
import { RegisterDto } from '../dto/register.dto.js';
import { RegistrationRateLimitGuard } from '../guards/registration-rate-limit.guard.js';
import { DeviceLogInterceptor } from '../logging/device-log.interceptor.js';
import { ApiAccessToken, ApiDpopProofHeader } from '../openapi/api-access-token.decorator.js';
import { RegisteredAccountSchema } from '../openapi/registered-account.schema.js';
import { TokenResponseSchema } from '../openapi/token-response.schema.js';
import type { TokenResponse } from '../tokens/token-response.js';

/** 429 and 503 of the routes that hash a password (API.md, Errors). */
const ApiPasswordCheckLimits = () =>
  applyDecorators(
    ApiProblemResponse(429, 'Too many attempts in the window; `Retry-After` says when to try again.', 'Retry-After'),
    ApiProblemResponse(503, 'The password-hashing queue is full, or the database is unreachable.', 'Retry-After'),
  );

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly passkeys: PasskeyService,
  ) {}

  /** REGISTER_RATE_LIMIT per client IP: 429 with Retry-After past it. */
  @Public()
  @UseGuards(RegistrationRateLimitGuard)
  @Post('register')
  @HttpCode(201)
  @ApiOperation({ operationId: 'register', summary: 'Create an account' })
  @ApiCreatedResponse({ type: RegisteredAccountSchema, description: 'The account was created.' })
  @ApiValidationResponse()
  @ApiProblemResponse(409, 'An account with this email already exists.')
  @ApiPasswordCheckLimits()
  register(@Body() body: RegisterDto, @Origin() origin: RequestOrigin): Promise<{ id: string; email: string }> {
    return this.auth.register(body, origin);
  }

  @Public()
  @Post('login')
  @UseInterceptors(DeviceLogInterceptor)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'login',
    summary: 'Sign in a device',
    description:
      'Creates a device and its session. With a valid `DPoP` proof the device is bound to that key and the response says `token_type: "DPoP"`; with `DPOP_REQUIRED=true` a sign-in without one is refused.',
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
    'Wrong email or password (one answer for both); or, with TOTP on, the right password: `"error":"mfa_required"` with the `mfaToken` that `POST /auth/login/mfa` finishes the sign-in with (no device is created yet).',
  )
  @ApiPasswordCheckLimits()
  login(@Body() body: LoginDto, @Origin() origin: RequestOrigin, @Dpop() dpop: DpopRequest): Promise<TokenResponse> {
    return this.auth.login(body, body.device, origin, dpop);
  }

  @Public()
  @Post('login/mfa')
  @UseInterceptors(DeviceLogInterceptor)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'loginMfa',
    summary: 'Finish a sign-in with the second factor',
    description:
      'With the `mfaToken` of an `mfa_required` answer and a TOTP code (or a recovery code, each usable once): creates the device exactly as `POST /auth/login` does (a valid `DPoP` proof binds it), `amr` `["pwd","otp","mfa"]`. The token is single-use, valid 5 minutes and ended by 5 codes; codes are also limited per account, counted before the check.',
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
    'A wrong or already used code (`"error":"invalid_code"`), or an `mfaToken` that is unknown, expired, spent or ended by too many codes (`"error":"invalid_mfa_token"`: sign in again).',
  )
  @ApiProblemResponse(429, 'Too many codes for this account in the window; `Retry-After` says when to try again.', 'Retry-After')
  @ApiProblemResponse(503, 'The database is unreachable.', 'Retry-After')
  loginMfa(@Body() body: LoginMfaDto, @Origin() origin: RequestOrigin, @Dpop() dpop: DpopRequest): Promise<TokenResponse> {
    return this.auth.loginWithSecondFactor(body, origin, dpop);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'logout',
    summary: 'Sign out this device',
    description: 'Revokes the calling device: its refresh and access tokens stop working.',
  })
  @ApiAccessToken()
  @ApiNoContentResponse({ description: 'The device is revoked.' })
  logout(@CurrentActor() actor: Actor): Promise<void> {
    return this.auth.logout(actor);
  }

  @Post('reauthenticate')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'reauthenticate',
    summary: 'Authenticate again on this device (step-up)',
    description:
      "RFC 9470: the password again (and, when the account has TOTP on, its `code`), or a passkey assertion for a challenge of `POST /auth/passkey/options` (the caller's own passkey), moves the device's `auth_time`; answers new tokens for the same device (its refresh token rotates) for the operations that need a recent authentication. Counted against the sign-in limits before the check.",
  })
  @ApiAccessToken()
  @ApiOkResponse({ type: TokenResponseSchema, description: 'Authenticated again.', headers: wireHeaders('Cache-Control') })
  @ApiValidationResponse()
  @ApiPasswordCheckLimits()
  reauthenticate(@Body() body: ReauthenticateDto, @CurrentActor() actor: Actor): Promise<TokenResponse> {
    if (body.challengeId !== undefined && body.response !== undefined)
      return this.passkeys.reauthenticate(actor, body.challengeId, body.response);
    return this.auth.reauthenticate(actor, body.password ?? '', body.code);
  }

  @Post('password')
  @HttpCode(204)
  @ApiOperation({ operationId: 'changePassword', summary: 'Change the password', description: 'Revokes every other device of the user.' })
  @ApiAccessToken()
  @ApiNoContentResponse({ description: 'Changed; every other device is revoked.' })
  @ApiValidationResponse()
  @ApiProblemResponse(403, 'The current password is incorrect.')
  @ApiPasswordCheckLimits()
  changePassword(@Body() body: ChangePasswordDto, @CurrentActor() actor: Actor): Promise<void> {
    return this.auth.changePassword(actor, body.currentPassword, body.newPassword);
  }
}
