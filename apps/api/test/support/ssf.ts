import type { AddressInfo } from 'node:net';
import type { TestApi } from './test-api.js';

/** Lets the in-process API listen on a real port (receivers fetch its metadata and key set over HTTP); returns its base URL. */
export async function listen(api: TestApi): Promise<string> {
  await api.app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}`;
}
