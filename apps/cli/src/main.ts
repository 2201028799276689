// The command-line app: `node dist/apps/cli/src/main.js <command> …`, run through the npm
// scripts `npm run migration:run` (migrate), `npm run operator -- grant|revoke <email>` and
// `npm run ssf -- add-receiver|remove-receiver|list-receivers …`.
import 'reflect-metadata';
import { runMigrationsCommand } from './migrations/run-migrations.command.js';
import { operatorCommand } from './operator/operator.command.js';
import { ssfCommand } from './ssf/ssf.command.js';

const COMMANDS: Record<string, (args: readonly string[]) => Promise<number>> = {
  migrate: () => runMigrationsCommand(),
  operator: (args) => operatorCommand(args),
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
