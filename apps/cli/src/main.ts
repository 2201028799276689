// The command-line app: `node dist/apps/cli/src/main.js <command> …`, run through the npm
// scripts `npm run migration:run` (migrate), `npm run migration:generate -- <Name>`, `npm run operator -- grant|revoke <email>`,
// `npm run keys -- list|rotate|revoke <kid>` and `npm run ssf -- add-receiver|remove-receiver|list-receivers …`.
import 'reflect-metadata';
import { generateMigrationCommand } from './migrations/generate-migration.command.js';
import { runMigrationsCommand } from './migrations/run-migrations.command.js';
import { keysCommand } from './keys/keys.command.js';
import { operatorCommand } from './operator/operator.command.js';
import { ssfCommand } from './ssf/ssf.command.js';

const COMMANDS: Record<string, (args: readonly string[]) => Promise<number>> = {
  migrate: () => runMigrationsCommand(),
  'generate-migration': (args) => generateMigrationCommand(args),
  operator: (args) => operatorCommand(args),
  keys: (args) => keysCommand(args),
  ssf: (args) => ssfCommand(args),
};

const [name = '', ...args] = process.argv.slice(2);
const command = COMMANDS[name];
if (command === undefined) {
  console.error(`Usage: node dist/apps/cli/src/main.js ${Object.keys(COMMANDS).join('|')} …`);
  process.exitCode = 2;
} else {
  process.exitCode = await command(args);
}
