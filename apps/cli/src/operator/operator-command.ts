import type { DataSource } from 'typeorm';
import { normalizeAccountEmail } from '@app/platform';
import { changeOperatorRole, type OperatorRoleChange } from './operator-roles.js';

export const OPERATOR_USAGE = 'Usage: npm run operator -- grant <email>   |   npm run operator -- revoke <email>';

export interface CommandResult {
  readonly exitCode: number;
  /** One line for stdout (success) or stderr (failure). */
  readonly message: string;
}

/** Reads `grant <email>` / `revoke <email>`; a usage problem as a message, or what to do. */
export function parseOperatorArguments(args: readonly string[]): { change: OperatorRoleChange; email: string } | { problem: string } {
  const [change, rawEmail, ...rest] = args;
  if ((change !== 'grant' && change !== 'revoke') || rawEmail === undefined || rest.length > 0) return { problem: OPERATOR_USAGE };
  const email = normalizeAccountEmail(rawEmail);
  if (!email || !/^[^@]+@[^@]+$/.test(email) || email.length > 254)
    return { problem: `Not an email address: ${JSON.stringify(rawEmail)}. ${OPERATOR_USAGE}` };
  return { change, email };
}

/** `npm run operator -- grant|revoke <email>` against an open, migrated DataSource. */
export async function runOperatorCommand(
  dataSource: DataSource,
  change: OperatorRoleChange,
  email: string,
  at: number,
): Promise<CommandResult> {
  const outcome = await changeOperatorRole(dataSource, change, email, at);
  if (outcome.kind === 'unknown_email') {
    return { exitCode: 1, message: `No account with the email ${email}: nothing changed. The person must register first.` };
  }
  if (!outcome.changed) {
    return {
      exitCode: 0,
      message: change === 'grant' ? `${email} is already an operator: nothing changed.` : `${email} is not an operator: nothing changed.`,
    };
  }
  return {
    exitCode: 0,
    message:
      change === 'grant'
        ? `Granted the operator role to ${email} (security event operator_granted recorded). The dashboard shows "Users" on their next page.`
        : `Withdrew the operator role from ${email} (security event operator_revoked recorded). The operator pages answer 404 to them from their next request.`,
  };
}
