import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthModule } from './auth.module.js';
import { AuthController } from './controllers/auth.controller.js';
import { AuthorizationServerMetadataController } from './controllers/authorization-server-metadata.controller.js';
import { JwksController } from './controllers/jwks.controller.js';
import { MeController } from './controllers/me.controller.js';
import { TokenController } from './controllers/token.controller.js';
import { JwtAuthGuard } from './guards/jwt-auth.guard.js';
import { AccountPasskeysController } from './passkeys/account-passkeys.controller.js';
import { PasskeySignInController } from './passkeys/passkey-sign-in.controller.js';

/**
 * The JSON API's side of auth: the /auth, /me, JWKS and RFC 8414 metadata routes, and the global bearer-token
 * guard (deny by default, @Public() to opt out) for every route of the app that imports it.
 */
@Module({
  imports: [AuthModule],
  controllers: [
    AuthController,
    TokenController,
    MeController,
    JwksController,
    AuthorizationServerMetadataController,
    PasskeySignInController,
    AccountPasskeysController,
  ],
  providers: [{ provide: APP_GUARD, useClass: JwtAuthGuard }],
  exports: [AuthModule],
})
export class AuthApiModule {}
