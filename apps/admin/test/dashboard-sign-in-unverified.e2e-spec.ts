import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AuthService } from '@app/auth';
import { scratchDatabase, TEST_JWT_SECRET, type ScratchDatabase } from '../../../test/support/scratch-database.js';
import { createAdminApp } from '../src/create-admin-app.js';

const PASSWORD = 'correct horse battery';

/** REQUIRE_EMAIL_VERIFICATION on the dashboard's sign-in form (API.md § Accounts). */
describe('dashboard sign-in of an unverified account (e2e)', () => {
  let database: ScratchDatabase;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    database = await scratchDatabase();
    app = await createAdminApp({
      env: { DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET, REQUIRE_EMAIL_VERIFICATION: 'true' },
      logger: false,
    });
  });

  afterAll(async () => {
    await app.close();
    await database.remove();
  });

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
