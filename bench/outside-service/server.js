// Bench only: the overhead of @device-auth/verifier in a service outside the API. One plain
// Express app, started twice: with BENCH_VERIFIER=on, GET /orders sits behind
// expressMiddleware (the token verified with the shared HS256 secret, the revocation feed
// followed); with it off, the same handler answers the same JSON without any check.
// `npm run bench` compares the two (BENCHMARKS.md, figure 9).
import express from 'express';
import { createVerifier, expressMiddleware } from '@device-auth/verifier';

const env = process.env;
const app = express();
app.disable('x-powered-by');
app.get('/health', (_request, response) => {
  response.json({ status: 'ok' });
});

let verifier;
if (env.BENCH_VERIFIER === 'on') {
  verifier = createVerifier({
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    secret: env.JWT_SECRET,
    feed: { url: `${env.AUTH_URL}/revocations`, token: env.REVOCATION_FEED_TOKEN },
  });
  await verifier.ready();
  app.use(expressMiddleware(verifier));
}

const anonymous = { userId: '00000000-0000-4000-8000-000000000001', deviceId: '00000000-0000-4000-8000-000000000002' };
app.get('/orders', (request, response) => {
  const auth = request.auth ?? anonymous;
  response.json({ userId: auth.userId, deviceId: auth.deviceId, orders: [] });
});

const server = app.listen(Number(env.PORT), env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void verifier?.close();
});
