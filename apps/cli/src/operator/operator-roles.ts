import type { DataSource } from 'typeorm';
import { SecurityEventRepository, UserRepository, type AccountRole } from '@app/persistence';

export type OperatorRoleChange = 'grant' | 'revoke';

export type OperatorRoleOutcome =
  | { readonly kind: 'unknown_email' }
  /** `changed: false`: the account already had (grant) or lacked (revoke) the role; nothing was written. */
  | { readonly kind: 'done'; readonly userId: string; readonly changed: boolean };

const ROLE: Record<OperatorRoleChange, AccountRole> = { grant: 'operator', revoke: 'user' };

/**
 * Grants or withdraws the dashboard's operator role of the account with this (normalised)
 * email, and records `operator_granted` / `operator_revoked` on that account, done by the
 * system, in the same transaction. Only the operator command calls this: no HTTP route can.
 */
export async function changeOperatorRole(
  dataSource: DataSource,
  change: OperatorRoleChange,
  email: string,
  at: number,
): Promise<OperatorRoleOutcome> {
  return dataSource.transaction(async (manager) => {
    const users = new UserRepository(manager);
    const user = await users.findByEmail(email);
    if (!user) return { kind: 'unknown_email' };
    const changed = await users.setRole(user.id, ROLE[change]);
    if (changed) {
      await new SecurityEventRepository(manager).record({
        userId: user.id,
        type: change === 'grant' ? 'operator_granted' : 'operator_revoked',
        deviceId: null,
        deviceName: null,
        actor: 'system',
        actorUserId: null,
        actorDeviceId: null,
        reason: 'command_line',
        ip: null,
        userAgent: null,
        createdAt: at,
      });
    }
    return { kind: 'done', userId: user.id, changed };
  });
}
