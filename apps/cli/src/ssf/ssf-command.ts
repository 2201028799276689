import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { isUniqueViolation, SsfReceiverRepository } from '@app/persistence';
import { hashReceiverToken } from '@app/ssf';
import type { CommandResult } from '../operator/operator-command.js';

export const SSF_USAGE =
  'Usage: npm run ssf -- add-receiver <name> <audience>   |   npm run ssf -- remove-receiver <name>   |   npm run ssf -- list-receivers';

/** A receiver's name: what the operator calls it (letters, digits, `.`, `_`, `-`). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Its audience: the `aud` of its SETs (a URL or an identifier), printable ASCII without spaces. */
const AUDIENCE = /^[\x21-\x7e]{1,200}$/;

export type SsfCommand =
  | { readonly kind: 'add'; readonly name: string; readonly audience: string }
  | { readonly kind: 'remove'; readonly name: string }
  | { readonly kind: 'list' };

/** Reads `add-receiver <name> <audience>` / `remove-receiver <name>` / `list-receivers`; a usage problem as a message. */
export function parseSsfArguments(args: readonly string[]): SsfCommand | { problem: string } {
  const [command, name, audience, ...rest] = args;
  if (command === 'list-receivers' && name === undefined) return { kind: 'list' };
  if (command === 'add-receiver' && name !== undefined && audience !== undefined && rest.length === 0) {
    if (!NAME.test(name))
      return { problem: `Not a receiver name: ${JSON.stringify(name)} (letters, digits, ".", "_", "-"; at most 64). ${SSF_USAGE}` };
    if (!AUDIENCE.test(audience))
      return { problem: `Not an audience: ${JSON.stringify(audience)} (printable, no spaces, at most 200). ${SSF_USAGE}` };
    return { kind: 'add', name, audience };
  }
  if (command === 'remove-receiver' && name !== undefined && audience === undefined) {
    if (!NAME.test(name)) return { problem: `Not a receiver name: ${JSON.stringify(name)}. ${SSF_USAGE}` };
    return { kind: 'remove', name };
  }
  return { problem: SSF_USAGE };
}

/**
 * Runs a parsed `ssf` command against an open, migrated DataSource. A new receiver's token is
 * 256 bits from a CSPRNG, printed once here and stored only as its SHA-256.
 */
export async function runSsfCommand(dataSource: DataSource, command: SsfCommand, at: number): Promise<CommandResult> {
  const receivers = new SsfReceiverRepository(dataSource);
  switch (command.kind) {
    case 'add': {
      const token = randomBytes(32).toString('base64url');
      try {
        await receivers.add({
          id: randomUUID(),
          name: command.name,
          audience: command.audience,
          tokenHash: hashReceiverToken(token),
          createdAt: at,
        });
      } catch (error) {
        if (isUniqueViolation(error)) return { exitCode: 1, message: `A receiver named ${command.name} exists already: nothing changed.` };
        throw error;
      }
      return {
        exitCode: 0,
        message: [
          `Added the receiver ${command.name} (audience ${command.audience}). Its token, shown this once (only a hash is kept):`,
          token,
          'It manages its streams with "Authorization: Bearer <token>" (see /.well-known/ssf-configuration).',
        ].join('\n'),
      };
    }
    case 'remove':
      return (await receivers.removeByName(command.name))
        ? { exitCode: 0, message: `Removed the receiver ${command.name}, its streams and their queued SETs. Its token no longer works.` }
        : { exitCode: 1, message: `No receiver named ${command.name}: nothing changed.` };
    case 'list': {
      const all = await receivers.list();
      if (all.length === 0) return { exitCode: 0, message: 'No receivers.' };
      return {
        exitCode: 0,
        message: all
          .map((receiver) => `${receiver.name}\t${receiver.audience}\tadded ${new Date(receiver.createdAt).toISOString()}`)
          .join('\n'),
      };
    }
  }
}
