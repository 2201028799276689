import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { runSsfCommand } from '../../../cli/src/ssf/ssf-command.js';
import type { TestApi } from './test-api.js';

/** A fresh EC P-256 key as JWT_PRIVATE_KEY (PEM): the SSF transmitter needs an asymmetric key. */
export function es256Pem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** Registers a receiver as `npm run ssf -- add-receiver <name> <audience>` does; returns its token. */
export async function addReceiver(dataSource: DataSource, name: string, audience: string): Promise<string> {
  const result = await runSsfCommand(dataSource, { kind: 'add', name, audience }, Date.now());
  if (result.exitCode !== 0) throw new Error(result.message);
  return result.message.split('\n')[1]!;
}

/** Lets the in-process API listen on a real port (receivers fetch its metadata and key set over HTTP); returns its base URL. */
export async function listen(api: TestApi): Promise<string> {
  await api.app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}`;
}
