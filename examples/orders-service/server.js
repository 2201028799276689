// An API of another team that trusts device-auth's access tokens: it verifies them itself
// (JWK set, no call per request) and follows the revocation feed, so a device revoked in
// device-auth is refused here within a moment too. See README.md.
import express from 'express';
import { createVerifier, expressMiddleware } from '@device-auth/verifier';

function setting(name, fallback) {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`orders-service: set ${name} (see README.md)`);
    process.exit(1);
  }
  return value;
}

// device-auth's base URL, as this service reaches it.
const authUrl = setting('AUTH_URL').replace(/\/+$/, '');
const verifier = createVerifier({
  // device-auth's JWT_ISSUER (its PUBLIC_URL when that is set) and JWT_AUDIENCE.
  issuer: setting('AUTH_ISSUER'),
  audience: setting('AUTH_AUDIENCE', 'device-auth-api'),
  jwksUri: `${authUrl}/.well-known/jwks.json`,
  feed: { url: `${authUrl}/revocations`, token: setting('REVOCATION_FEED_TOKEN') },
});

const app = express();
app.disable('x-powered-by');

// Public: before the middleware.
app.get('/health', (_request, response) => {
  response.json({ status: 'ok' });
});

// Everything below needs a good access token; `request.auth` says whose.
app.use(expressMiddleware(verifier, { publicUrl: process.env.PUBLIC_URL }));

app.get('/orders', (request, response) => {
  response.json({ userId: request.auth.userId, deviceId: request.auth.deviceId, orders: [] });
});

const port = Number(setting('PORT', '4000'));
const host = setting('HOST', '127.0.0.1');
const server = app.listen(port, host, () => {
  console.log(`orders-service listening on http://${host}:${port}`);
});

// Until the feed first answers, tokens are refused (503): the verifier fails closed.
verifier.ready().then(() => console.log('orders-service: following the revocation feed'));

function stop() {
  server.close();
  server.closeAllConnections();
  void verifier.close();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
