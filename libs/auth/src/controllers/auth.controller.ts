import { Body, Controller, Header, HttpCode, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import { Public } from '@app/platform';
import type { Actor, RequestOrigin } from '../actor/actor.js';
import { CurrentActor } from '../actor/current-actor.decorator.js';
import { Origin } from '../actor/request-origin.decorator.js';
import { AuthService } from '../auth.service.js';
import { Dpop, type DpopRequest } from '../dpop/dpop-request.js';
import { ChangePasswordDto } from '../dto/change-password.dto.js';
import { LoginDto } from '../dto/login.dto.js';
import { RegisterDto } from '../dto/register.dto.js';
import { RegistrationRateLimitGuard } from '../guards/registration-rate-limit.guard.js';
import { DeviceLogInterceptor } from '../logging/device-log.interceptor.js';
import type { TokenResponse } from '../tokens/token-response.js';

@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** REGISTER_RATE_LIMIT per client IP: 429 with Retry-After past it. */
  @Public()
  @UseGuards(RegistrationRateLimitGuard)
  @Post('register')
  @HttpCode(201)
  register(@Body() body: RegisterDto, @Origin() origin: RequestOrigin): Promise<{ id: string; email: string }> {
    return this.auth.register(body, origin);
  }

  @Public()
  @Post('login')
  @UseInterceptors(DeviceLogInterceptor)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  login(@Body() body: LoginDto, @Origin() origin: RequestOrigin, @Dpop() dpop: DpopRequest): Promise<TokenResponse> {
    return this.auth.login(body, body.device, origin, dpop);
  }

  @Post('logout')
  @HttpCode(204)
  logout(@CurrentActor() actor: Actor): Promise<void> {
    return this.auth.logout(actor);
  }

  @Post('password')
  @HttpCode(204)
  changePassword(@Body() body: ChangePasswordDto, @CurrentActor() actor: Actor): Promise<void> {
    return this.auth.changePassword(actor, body.currentPassword, body.newPassword);
  }
}
