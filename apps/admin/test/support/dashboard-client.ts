import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request, { type Response, type Test } from 'supertest';

/** The `_csrf` value of the first form on a page. */
export function csrfTokenOf(html: string): string | undefined {
  return /name="_csrf" value="([^"]*)"/.exec(html)?.[1];
}

/**
 * One browser, over HTTP without a browser: keeps cookies like a browser (latest value per
 * name, cleared ones dropped) and the CSRF token of the last page that had a form.
 */
export class DashboardClient {
  readonly cookies = new Map<string, string>();
  csrf: string | undefined;
  /** Sent with every request (e.g. the X-Forwarded-For a proxy adds). */
  headers: Record<string, string> = {};

  constructor(private readonly app: NestFastifyApplication) {}

  async get(path: string): Promise<Response> {
    return this.send(request(this.app.getHttpServer()).get(path));
  }

  /** GET, HEAD or POST (a form with the page's CSRF token). */
  async call(method: string, path: string): Promise<Response> {
    if (method === 'POST') return this.post(path);
    if (method === 'HEAD') return this.send(request(this.app.getHttpServer()).head(path));
    if (method === 'GET') return this.get(path);
    throw new Error(`no test for ${method}`);
  }

  /** Posts a form with the page's CSRF token, unless `_csrf` is given (or `null`: none). */
  async post(path: string, form: Record<string, string> = {}, csrf: string | null = this.csrf ?? null): Promise<Response> {
    const body = new URLSearchParams(form);
    if (csrf !== null) body.set('_csrf', csrf);
    return this.send(request(this.app.getHttpServer()).post(path).type('form').send(body.toString()));
  }

  /** Posts an urlencoded body exactly as given. */
  async postRaw(path: string, body: string): Promise<Response> {
    return this.send(request(this.app.getHttpServer()).post(path).type('form').send(body));
  }

  async signIn(email: string, password: string): Promise<Response> {
    await this.get('/signin');
    const response = await this.post('/signin', { email, password });
    if (response.status !== 303) throw new Error(`sign-in of ${email} answered ${response.status}`);
    await this.get('/devices');
    return response;
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private async send(test: Test): Promise<Response> {
    const header = this.cookieHeader();
    const response = await (header ? test.set('Cookie', header) : test).set(this.headers);
    for (const line of (response.headers['set-cookie'] as unknown as string[] | undefined) ?? []) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const cleared = attributes.some((attribute) => /^max-age=0$/i.test(attribute) || /^expires=thu, 01 jan 1970/i.test(attribute));
      if (cleared) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const token = response.headers['content-type']?.startsWith('text/html') ? csrfTokenOf(response.text) : undefined;
    if (token) this.csrf = token;
    return response;
  }
}

export interface RouteEntry {
  readonly method: string;
  readonly url: string;
}

/**
 * Every route the Fastify router serves, read from its own `printRoutes()` tree (each line a
 * path segment under its parent, with the methods it answers), each checked with `hasRoute`.
 */
export function routesOf(app: NestFastifyApplication): RouteEntry[] {
  const fastify = app.getHttpAdapter().getInstance();
  const parents: string[] = [];
  const routes: RouteEntry[] = [];
  for (const line of fastify.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([\s│├└─]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!match) continue;
    const depth = Math.round([...match[1]].length / 4);
    parents.length = Math.max(0, depth - 1);
    const url = (parents.at(-1) ?? '') + match[2];
    parents.push(url);
    for (const method of match[3]?.split(', ') ?? []) {
      if (!fastify.hasRoute({ method: method as 'GET', url })) throw new Error(`could not read the route table: ${method} ${url}`);
      routes.push({ method, url });
    }
  }
  return routes;
}
