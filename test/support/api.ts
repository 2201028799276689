// The e2e helpers for a feature module's tests (README, "Extending"), in one place:
//   startTestApi(env?)        the real API (createApiApp, as main.ts builds it, feature modules
//                             included) on a scratch database: a SQLite file, or a fresh
//                             PostgreSQL database in the "postgres" Jest project; close() drops it
//   registerAndLogin(api)     a new account signed in on one device: { email, password, userId, tokens }
//   login(api, email, password, device?), refresh(api, refreshToken)
//   bearer(tokens)            the Authorization header value
//   waitFor(check, timeoutMs?) polls until check() is true (a generous deadline, not a latency bound)
//   scratchDatabase(), TestClock, testPostgresUrl()
// Processes started as the README starts them (the built apps): ./app-process.ts.
export {
  bearer,
  decodeJwt,
  login,
  refresh,
  registerAndLogin,
  scratchDatabase,
  startTestApi,
  TestClock,
  testPostgresUrl,
  waitFor,
  type ScratchDatabase,
  type SignedIn,
  type TestApi,
} from '../../apps/api/test/support/test-api.js';
