import { Logger } from '@nestjs/common';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { normalizeAccountEmail } from '@app/platform';

/**
 * Emails were stored trimmed and lower-cased only: "éva@…" typed composed and decomposed made
 * two accounts. This brings every stored email to the canonical form (NFC, case-folded) that
 * sign-in and registration now use. It never merges accounts: an email whose canonical form
 * another account already has, or that holds a character now refused, is left as it is and
 * reported by user id, for an operator to resolve.
 */
export class NormalizeAccountEmails1764500000000 implements MigrationInterface {
  name = 'NormalizeAccountEmails1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const logger = new Logger(NormalizeAccountEmails1764500000000.name);
    const users = (await queryRunner.query('SELECT id, email FROM users ORDER BY created_at, id')) as { id: string; email: string }[];
    const taken = new Set(users.map((user) => user.email));
    for (const user of users) {
      const canonical = normalizeAccountEmail(user.email);
      if (canonical === user.email) continue;
      if (canonical === null) {
        logger.warn(`User ${user.id}: the email holds a control, format or space character; left unchanged (it can no longer sign in).`);
      } else if (taken.has(canonical)) {
        logger.warn(`User ${user.id}: the email's canonical form belongs to another account; left unchanged, not merged.`);
      } else {
        const [sql, parameters] = queryRunner.connection.driver.escapeQueryWithParameters(
          'UPDATE users SET email = :email WHERE id = :id',
          { email: canonical, id: user.id },
        );
        await queryRunner.query(sql, parameters);
        taken.add(canonical);
      }
    }
  }

  async down(): Promise<void> {
    // Nothing to undo: the canonical form is a valid stored email for the old code too.
  }
}
