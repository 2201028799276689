import { Controller, Get, Module, Req } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import express from 'express';
import Fastify from 'fastify';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import request from 'supertest';
import {
  createVerifier,
  DeviceAuthGuard,
  expressMiddleware,
  fastifyPlugin,
  type DeviceAuthVerifier,
  type DevicePrincipal,
} from '../src/index.js';

// Each adapter in its real framework: a good token reaches the handler with `auth` set; a bad
// one is answered 401 with the Bearer challenge and never reaches it.

const ISSUER = 'https://auth.test';
const AUDIENCE = 'device-auth-api';
const JWKS_URL = 'https://auth.test/.well-known/jwks.json';

describe('verifier adapters', () => {
  let verifier: DeviceAuthVerifier;
  let good: string;
  let forged: string;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k', alg: 'ES256' }] };
    const fetchJwks = (async () => new Response(JSON.stringify(jwks), { headers: { 'content-type': 'application/json' } })) as typeof fetch;
    verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri: JWKS_URL, fetch: fetchJwks });
    const sign = (key: CryptoKey) =>
      new SignJWT({ sub: 'user-1', sid: 'device-1', jti: 'j' })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('15m')
        .sign(key);
    good = await sign(pair.privateKey);
    forged = await sign((await generateKeyPair('ES256')).privateKey);
  });

  afterAll(() => verifier.close());

  it('Express middleware', async () => {
    const app = express();
    app.use(expressMiddleware(verifier));
    app.get('/orders', (req, res) => {
      res.json({ deviceId: (req as unknown as { auth: DevicePrincipal }).auth.deviceId });
    });
    const ok = await request(app).get('/orders').set('Authorization', `Bearer ${good}`).expect(200);
    expect(ok.body).toEqual({ deviceId: 'device-1' });
    const refused = await request(app).get('/orders').set('Authorization', `Bearer ${forged}`).expect(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(refused.body).toEqual({ error: 'invalid_token', error_description: 'The access token is invalid.' });
    await request(app).get('/orders').expect(401);
  });

  it('Fastify plugin', async () => {
    const app = Fastify();
    await app.register(fastifyPlugin(verifier));
    app.get('/orders', async (req) => ({ deviceId: (req as unknown as { auth: DevicePrincipal }).auth.deviceId }));
    await app.ready();
    try {
      const ok = await request(app.server).get('/orders').set('Authorization', `Bearer ${good}`).expect(200);
      expect(ok.body).toEqual({ deviceId: 'device-1' });
      const refused = await request(app.server).get('/orders').set('Authorization', `Bearer ${forged}`).expect(401);
      expect(refused.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    } finally {
      await app.close();
    }
  });

  it('NestJS guard (no @nestjs import in the package)', async () => {
    @Controller('orders')
    class OrdersController {
      @Get()
      list(@Req() req: { auth: DevicePrincipal }) {
        return { deviceId: req.auth.deviceId };
      }
    }
    @Module({ controllers: [OrdersController], providers: [{ provide: APP_GUARD, useValue: new DeviceAuthGuard(verifier) }] })
    class OrdersModule {}
    const app = await NestFactory.create<NestFastifyApplication>(OrdersModule, new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    try {
      const ok = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${good}`).expect(200);
      expect(ok.body).toEqual({ deviceId: 'device-1' });
      const refused = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${forged}`).expect(401);
      expect(refused.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    } finally {
      await app.close();
    }
  });
});
