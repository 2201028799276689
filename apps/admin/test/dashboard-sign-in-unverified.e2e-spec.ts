import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AuthService } from '@app/auth';
import { startTestDashboard, type TestDashboard } from './support/test-dashboard.js';

const PASSWORD = 'correct horse battery';

/** REQUIRE_EMAIL_VERIFICATION on the dashboard's sign-in form (API.md § Accounts). */
describe('dashboard sign-in of an unverified account (e2e)', () => {
  let dashboard: TestDashboard;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    dashboard = await startTestDashboard({ REQUIRE_EMAIL_VERIFICATION: 'true' });
    app = dashboard.app;
  });

  afterAll(() => dashboard?.close());

  const http = () => request(app.getHttpServer());

  it('shows the sign-in form again with why (403), what was typed kept, and no session', async () => {
    await app.get(AuthService).register({ email: 'unverified@example.com', password: PASSWORD }, { ip: null, userAgent: null });
    const form = await http().get('/signin?next=%2Faccount').expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1];
    const response = await http()
      .post('/signin?next=%2Faccount')
      .set('Cookie', form.headers['set-cookie'] as unknown as string[])
      .type('form')
      .send({ email: 'unverified@example.com', password: PASSWORD, _csrf: csrf });
    expect(response.status).toBe(403);
    expect(response.text).toContain('<p class="error" role="alert">Confirm your email address first: a new link is on its way.</p>');
    expect(response.text).toContain('action="/signin?next=%2Faccount"');
    expect(response.text).toContain('value="unverified@example.com"');
    expect(response.headers['set-cookie'] ?? []).not.toEqual(expect.arrayContaining([expect.stringMatching(/^dashboard_access=/)]));
  });
});
