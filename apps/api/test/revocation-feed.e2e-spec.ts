import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { TokenResponse } from '@app/auth';
import { RevocationLogRepository } from '@app/persistence';
import type { DataSource } from 'typeorm';
import { settles, waitFor } from '../../../test/support/wait-for.js';
import { bearer, login, refresh, registerAndLogin, startTestApi, testPostgresUrl, type TestApi } from './support/test-api.js';

// API.md § Revocation outside the API: GET /revocations, the feed other services follow to
// refuse revoked devices' access tokens they verify themselves.

const FEED_TOKEN = 'revocation-feed-token-for-the-e2e-suite-0123456789';
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface FeedEntry {
  deviceId: string;
  userId: string;
  revokedAt: string;
  until: string;
}
interface FeedAnswer {
  revoked: FeedEntry[];
  revokedKeys: { kid: string; revokedAt: string }[];
  cursor: string;
}

const onPostgres = testPostgresUrl() ? it : it.skip;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * A statement on either driver (`?` placeholders become PostgreSQL's `$n` there), run by the
 * data source or, inside a transaction, by its entity manager.
 */
function sql(
  dataSource: DataSource,
  text: string,
  parameters: unknown[] = [],
  via: { query(query: string, parameters: unknown[]): Promise<unknown> } = dataSource,
): Promise<unknown> {
  let index = 0;
  const query = dataSource.options.type === 'postgres' ? text.replace(/\?/g, () => `$${++index}`) : text;
  return via.query(query, parameters);
}

/** `count` active devices of the user, written straight to the table (no sign-in needed to revoke them). */
async function insertDevices(dataSource: DataSource, userId: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  const now = Date.now();
  for (let start = 0; start < ids.length; start += 200) {
    const batch = ids.slice(start, start + 200);
    const values = batch.map(() => `(?, ?, 'Seeded', 'other', ?, ?, ?)`).join(', ');
    await sql(
      dataSource,
      `INSERT INTO devices (id, user_id, name, platform, created_at, last_seen_at, session_expires_at) VALUES ${values}`,
      batch.flatMap((id) => [id, userId, now, now, now + 86_400_000]),
    );
  }
  return ids;
}

const REVOKE_SQL = `UPDATE devices SET revoked_at = ?, revoked_reason = 'operator' WHERE id = ? AND revoked_at IS NULL`;
const revokeInSql = (dataSource: DataSource, deviceId: string) => sql(dataSource, REVOKE_SQL, [Date.now(), deviceId]);

describe('revocation feed (e2e)', () => {
  let api: TestApi;

  beforeAll(async () => {
    // The sync stays slow: the feed must not depend on it to see this process's revocations.
    api = await startTestApi({ REVOCATION_FEED_TOKEN: FEED_TOKEN, REVOCATION_SYNC_INTERVAL: '1h' });
  });

  afterAll(async () => {
    await api.close();
  });

  const feed = (query = '', token: string | null = FEED_TOKEN, on: TestApi = api) => {
    const request = on.http().get(`/revocations${query}`);
    return token === null ? request : request.set('Authorization', `Bearer ${token}`);
  };
  const read = async (query = '', on: TestApi = api): Promise<FeedAnswer> => (await feed(query, FEED_TOKEN, on).expect(200)).body;
  const after = (cursor: string, wait?: number) => `?after=${encodeURIComponent(cursor)}${wait === undefined ? '' : `&wait=${wait}`}`;
  /** The current end of the feed. */
  const head = async () => {
    let answer = await read();
    while (answer.revoked.length === 1000) answer = await read(after(answer.cursor));
    return answer.cursor;
  };
  const logout = (tokens: TokenResponse) => api.http().post('/auth/logout').set('Authorization', bearer(tokens)).expect(204);

  function expectProblem(response: { headers: Record<string, string>; body: unknown }, status: number) {
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
  }

  describe('credential', () => {
    it('refuses a request without the feed credential: 401 with a Bearer challenge', async () => {
      const response = await feed('', null).expect(401);
      expectProblem(response, 401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="revocations"');
    });

    it('refuses a wrong credential, another scheme, or a user access token', async () => {
      const { tokens } = await registerAndLogin(api);
      for (const authorization of [
        `Bearer ${FEED_TOKEN}x`,
        `Bearer ${FEED_TOKEN.slice(0, -1)}`,
        'Bearer ',
        `Basic ${Buffer.from(`feed:${FEED_TOKEN}`).toString('base64')}`,
        bearer(tokens),
      ]) {
        const response = await api.http().get('/revocations').set('Authorization', authorization).expect(401);
        expectProblem(response, 401);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="revocations", error="invalid_token"');
        expect(JSON.stringify(response.body)).not.toContain(FEED_TOKEN);
      }
    });

    it('checks the credential before the query: a bad cursor without credential is still 401', async () => {
      await feed('?after=%%%&wait=99', null).expect(401);
    });

    it('accepts the scheme in any case', async () => {
      await api.http().get('/revocations').set('Authorization', `bearer ${FEED_TOKEN}`).expect(200);
    });

    it('is off (404, as an unknown route) when REVOCATION_FEED_TOKEN is unset', async () => {
      const off = await startTestApi({ DATABASE_URL: api.databaseUrl, MIGRATIONS_RUN: 'false' });
      try {
        const response = await feed('', FEED_TOKEN, off).expect(404);
        expectProblem(response, 404);
        await feed('', null, off).expect(404);
      } finally {
        await off.close();
      }
    });
  });

  describe('entries and cursor', () => {
    it('lists every revoked device whose tokens may be alive, with until = revokedAt + access-token lifetime and margin', async () => {
      const live = await registerAndLogin(api);
      const revoked = await registerAndLogin(api);
      await logout(revoked.tokens);
      const answer = await feed().expect(200);
      expect(answer.headers['cache-control']).toBe('no-store');
      const body = answer.body as FeedAnswer;
      expect(Object.keys(body).sort()).toEqual(['cursor', 'revoked', 'revokedKeys']);
      // A static key here: nothing to revoke (managed keys: signing-keys.e2e-spec.ts).
      expect(body.revokedKeys).toEqual([]);
      expect(body.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      const entry = body.revoked.find((candidate) => candidate.deviceId === revoked.tokens.device_id);
      expect(entry).toEqual({
        deviceId: revoked.tokens.device_id,
        userId: revoked.userId,
        revokedAt: expect.stringMatching(ISO_8601),
        until: expect.stringMatching(ISO_8601),
      });
      const lifetimeMs = Date.parse(entry!.until) - Date.parse(entry!.revokedAt);
      // ACCESS_TOKEN_TTL (15 min) and at least the 5 s clock tolerance.
      expect(lifetimeMs).toBeGreaterThanOrEqual(900_000 + 5_000);
      expect(lifetimeMs).toBeLessThanOrEqual(900_000 + 120_000);
      expect(Math.abs(Date.parse(entry!.revokedAt) - Date.now())).toBeLessThan(60_000);
      expect(body.revoked.map((candidate) => candidate.deviceId)).not.toContain(live.tokens.device_id);
    });

    it('continues from the cursor: only what was revoked after it, then nothing, with a cursor each time', async () => {
      const cursor = await head();
      const first = await registerAndLogin(api);
      const second = await registerAndLogin(api);
      await logout(first.tokens);
      const one = await read(after(cursor));
      expect(one.revoked.map((entry) => entry.deviceId)).toEqual([first.tokens.device_id]);
      await logout(second.tokens);
      const two = await read(after(one.cursor));
      expect(two.revoked.map((entry) => entry.deviceId)).toEqual([second.tokens.device_id]);
      const none = await read(after(two.cursor));
      expect(none.revoked).toEqual([]);
      // Reading again from an old cursor gives the same entries again: cursors are positions.
      expect((await read(after(cursor))).revoked.map((entry) => entry.deviceId)).toEqual([first.tokens.device_id, second.tokens.device_id]);
    });

    it('logs every way a device is revoked, each once, and nothing for a device revoked twice', async () => {
      const cursor = await head();
      const user = await registerAndLogin(api, { name: 'A' });
      const b = await login(api, user.email, user.password, { name: 'B' });
      const c = await login(api, user.email, user.password, { name: 'C' });
      const d = await login(api, user.email, user.password, { name: 'D' });
      const e = await login(api, user.email, user.password, { name: 'E' });
      const f = await login(api, user.email, user.password, { name: 'F' });
      await logout(user.tokens); // logout
      await api.http().delete(`/devices/${c.device_id}`).set('Authorization', bearer(b)).expect(204); // DELETE /devices/:id
      await api.http().post('/auth/revoke').send({ token: d.refresh_token }).expect(200); // RFC 7009
      // Reuse detection: the rotated refresh token comes back after the grace period.
      const rotated = (await refresh(api, e.refresh_token).expect(200)).body as TokenResponse;
      api.clock.advance(60_000);
      try {
        await refresh(api, e.refresh_token).expect(400);
      } finally {
        api.clock.advance(-60_000);
      }
      await revokeInSql(api.dataSource, f.device_id); // the dashboard's and operator CLI's paths end in the same UPDATE
      await revokeInSql(api.dataSource, f.device_id);
      await api.http().post('/devices/revoke-others').set('Authorization', bearer(b)).expect(200); // nothing left but b
      await api.http().post('/devices/revoke-others').set('Authorization', bearer(b)).expect(200);
      const other = await login(api, user.email, user.password, { name: 'G' });
      await api
        .http()
        .post('/auth/password')
        .set('Authorization', bearer(b))
        .send({ currentPassword: user.password, newPassword: 'another horse battery' })
        .expect(204); // revokes every other device: G
      const logged = (await read(after(cursor))).revoked.map((entry) => entry.deviceId);
      expect(logged).toEqual([user.tokens.device_id, c.device_id, d.device_id, e.device_id, f.device_id, other.device_id]);
      expect(rotated.device_id).toBe(e.device_id);
    });

    it('leaves out devices whose access tokens have all expired, and prunes them without breaking cursors', async () => {
      const cursor = await head();
      const old = await registerAndLogin(api);
      await logout(old.tokens);
      // Move the entry back past the access-token lifetime (by the database's clock, which the feed uses).
      await sql(api.dataSource, 'UPDATE device_revocations SET revoked_at = revoked_at - ? WHERE device_id = ?', [
        3_600_000,
        old.tokens.device_id,
      ]);
      expect((await read()).revoked.map((entry) => entry.deviceId)).not.toContain(old.tokens.device_id);
      const skipped = await read(after(cursor));
      expect(skipped.revoked).toEqual([]);
      expect(await api.app.get(RevocationLogRepository).deleteExpired(960_000)).toBeGreaterThanOrEqual(1);
      // Positions are never reused after a prune: the next revocation is after both cursors.
      const next = await registerAndLogin(api);
      await logout(next.tokens);
      expect((await read(after(cursor))).revoked.map((entry) => entry.deviceId)).toEqual([next.tokens.device_id]);
      expect((await read(after(skipped.cursor))).revoked.map((entry) => entry.deviceId)).toEqual([next.tokens.device_id]);
    });

    it('answers at most 1000 entries; the cursor continues with the rest', async () => {
      const cursor = await head();
      const { userId } = await registerAndLogin(api);
      const ids = await insertDevices(api.dataSource, userId, 1_203);
      await sql(
        api.dataSource,
        `UPDATE devices SET revoked_at = ?, revoked_reason = 'operator' WHERE user_id = ? AND id IN (${ids.map(() => '?').join(', ')})`,
        [Date.now(), userId, ...ids],
      );
      const first = await read(after(cursor));
      expect(first.revoked).toHaveLength(1000);
      const second = await read(after(first.cursor));
      expect(second.revoked).toHaveLength(203);
      expect(new Set([...first.revoked, ...second.revoked].map((entry) => entry.deviceId))).toEqual(new Set(ids));
      expect((await read(after(second.cursor))).revoked).toEqual([]);
    });
  });

  describe('input', () => {
    const encode = (text: string) => Buffer.from(text).toString('base64url');

    it.each([
      ['a cursor that is not base64url', '?after=%25%25%25', 'after'],
      ['a cursor the feed never issued', `?after=${encode('r1.12')}`, 'after'],
      ['an empty cursor', '?after=', 'after'],
      ['a cursor given twice', '?after=AA&after=AB', 'after'],
      ['a wait over 30 s', '?wait=31', 'wait'],
      ['a negative wait', '?wait=-1', 'wait'],
      ['a fractional wait', '?wait=1.5', 'wait'],
      ['a wait that is not a number', '?wait=soon', 'wait'],
    ])('answers 400 problem+json for %s', async (_name, query, field) => {
      const response = await feed(query).expect(400);
      expectProblem(response, 400);
      expect(response.body.errors).toEqual([{ field, message: expect.any(String) }]);
    });

    it('answers 400 for a cursor ahead of everything the feed handed out (another or a restored database)', async () => {
      const response = await feed(`?after=${encode(`r1.${2n ** 63n}.1`)}`).expect(400);
      expect(response.body.errors).toEqual([{ field: 'after', message: expect.stringMatching(/ahead/) }]);
    });
  });

  describe('long polling', () => {
    /**
     * How long a held request (held for the longest `wait`, 30 s) may take to answer what woke it:
     * generous, not a latency bound, but far inside the 30 s, so that an answer within it comes
     * from the wake-up and not from the wait running out (which would list the revocation too).
     */
    const WOKEN_DEADLINE_MS = 15_000;

    /**
     * Polls until `on` holds a request. The feed publishes no count of held requests, but while
     * it holds any it looks at the log's newest mark every 250 ms, and only then: one such look
     * (RevocationLogRepository.newestMark, spied on) shows a request is held.
     */
    const held = async (on: TestApi) => {
      const looks = jest.spyOn(on.app.get(RevocationLogRepository), 'newestMark');
      try {
        await waitFor(() => looks.mock.calls.length > 0, { what: 'a held feed request (its look at the log)' });
      } finally {
        looks.mockRestore();
      }
    };

    it('holds an empty answer for `wait` seconds, then answers 200 with nothing and a cursor to continue from', async () => {
      const cursor = await head();
      const started = performance.now();
      const answer = await read(after(cursor, 1));
      expect(performance.now() - started).toBeGreaterThanOrEqual(900);
      expect(answer.revoked).toEqual([]);
      expect((await read(after(answer.cursor))).revoked).toEqual([]);
    });

    it('answers a held request when this process revokes, not when its wait runs out', async () => {
      const cursor = await head();
      const { tokens } = await registerAndLogin(api);
      const answering = read(after(cursor, 30));
      await held(api);
      await logout(tokens);
      const answer = await settles(answering, { timeoutMs: WOKEN_DEADLINE_MS, what: 'the answer to the held request' });
      expect(answer.revoked.map((entry) => entry.deviceId)).toEqual([tokens.device_id]);
    });

    it('answers a held request when another API instance revokes (its sync is an hour away)', async () => {
      const other = await startTestApi({ DATABASE_URL: api.databaseUrl, REVOCATION_FEED_TOKEN: FEED_TOKEN, MIGRATIONS_RUN: 'false' });
      try {
        const cursor = await head();
        const { tokens } = await registerAndLogin(other);
        const answering = read(after(cursor, 30));
        await held(api);
        await other.http().post('/auth/logout').set('Authorization', bearer(tokens)).expect(204);
        const answer = await settles(answering, { timeoutMs: WOKEN_DEADLINE_MS, what: 'the answer to the held request' });
        expect(answer.revoked.map((entry) => entry.deviceId)).toEqual([tokens.device_id]);
      } finally {
        await other.close();
      }
    });

    it('lets held requests go when the app shuts down, not when their wait runs out', async () => {
      const closing = await startTestApi({ DATABASE_URL: api.databaseUrl, REVOCATION_FEED_TOKEN: FEED_TOKEN, MIGRATIONS_RUN: 'false' });
      const cursor = await head();
      const answering = read(after(cursor, 30), closing);
      await held(closing);
      const closed = closing.close();
      const answer = await settles(answering, { timeoutMs: WOKEN_DEADLINE_MS, what: 'the held request let go by the shutdown' });
      expect(answer.revoked).toEqual([]);
      await settles(closed, { timeoutMs: WOKEN_DEADLINE_MS, what: 'the app closing' });
    });
  });

  describe('exactness under concurrent revocations', () => {
    it('a follower sees every one of many parallel revocations from two instances exactly once', async () => {
      const other = await startTestApi({ DATABASE_URL: api.databaseUrl, REVOCATION_FEED_TOKEN: FEED_TOKEN, MIGRATIONS_RUN: 'false' });
      try {
        const { userId } = await registerAndLogin(api);
        const ids = await insertDevices(api.dataSource, userId, 80);
        const seen: string[] = [];
        let cursor = await head();
        let done = false;
        const follower = (async () => {
          // Reads continuously (and once more after the last revocation committed).
          for (let last = false; !last;) {
            last = done;
            const answer = await read(after(cursor, last ? 0 : 1));
            seen.push(...answer.revoked.map((entry) => entry.deviceId));
            cursor = answer.cursor;
          }
        })();
        // On PostgreSQL each revocation is its own transaction that stays open a random moment
        // after its UPDATE, so log ids are taken in one order and committed in another. (SQLite
        // serialises writers; a transaction held open here would block this whole process.)
        const postgres = api.dataSource.options.type === 'postgres';
        await Promise.all(
          ids.map(async (id, index) => {
            await sleep(Math.random() * 400);
            const dataSource = index % 2 === 0 ? api.dataSource : other.dataSource;
            if (!postgres) return revokeInSql(dataSource, id);
            await dataSource.transaction(async (manager) => {
              await sql(dataSource, REVOKE_SQL, [Date.now(), id], manager);
              await sleep(Math.random() * 50);
            });
          }),
        );
        done = true;
        await follower;
        expect(seen.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
        expect(new Set(seen).size).toBe(seen.length);
      } finally {
        await other.close();
      }
    });

    // SQLite serialises writers, so there id order is commit order.
    onPostgres(
      'does not hand out an entry past one whose transaction is still open (PostgreSQL: ids are taken before commit)',
      async () => {
        const { userId } = await registerAndLogin(api);
        const [slow, fast] = await insertDevices(api.dataSource, userId, 2);
        const cursor = await head();
        const runner = api.dataSource.createQueryRunner();
        await runner.connect();
        try {
          await runner.startTransaction();
          await runner.query(`UPDATE devices SET revoked_at = $1, revoked_reason = 'operator' WHERE id = $2`, [Date.now(), slow]);
          await revokeInSql(api.dataSource, fast!); // takes the later id, commits first
          const meanwhile = await read(after(cursor));
          expect(meanwhile.revoked).toEqual([]);
          await runner.commitTransaction();
          const seen = (await read(after(meanwhile.cursor))).revoked.map((entry) => entry.deviceId);
          expect(seen).toEqual([slow, fast]);
        } finally {
          if (runner.isTransactionActive) await runner.rollbackTransaction();
          await runner.release();
        }
      },
    );
  });
});
