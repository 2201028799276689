import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FEATURES } from '@app/features';
import { migrationSource, pendingSchemaChanges } from './generate-migration.js';

const USAGE =
  'Usage: npm run migration:generate -- <Name> [--lib <lib>] [--postgres <url>]   (Name in PascalCase, e.g. AddNoteTitle; lib: a feature lib, default persistence; url: a PostgreSQL server it may create a scratch database on)';

/**
 * `npm run migration:generate -- <Name> [--lib <lib>]`: writes libs/<lib>/src/migrations/<time>-<name>.ts
 * with what the entities (the product's and the registered features') need beyond the
 * migrations, for SQLite and, with `--postgres <url>` (a PostgreSQL server it may create a
 * scratch database on), for PostgreSQL. Run from the repository's root, after `npm run build`.
 */
export async function generateMigrationCommand(args: readonly string[]): Promise<number> {
  const [name, ...rest] = args;
  const options = optionsOf(rest);
  const lib = options?.lib ?? 'persistence';
  const postgresServer = options?.postgres;
  if (
    !name ||
    !/^[A-Z][A-Za-z0-9]{0,80}$/.test(name) ||
    options === undefined ||
    !/^[a-z][a-z0-9-]*$/.test(lib) ||
    (postgresServer !== undefined && !/^postgres(ql)?:\/\//.test(postgresServer))
  ) {
    console.error(USAGE);
    return 2;
  }
  if (!existsSync(join('libs', lib, 'src'))) {
    console.error(`libs/${lib}/src does not exist (run this from the repository's root). ${USAGE}`);
    return 2;
  }
  const sqlite = await pendingSchemaChanges(FEATURES);
  const postgres = postgresServer ? await pendingSchemaChanges(FEATURES, postgresServer) : undefined;
  if (sqlite.up.length === 0 && (!postgres || postgres.up.length === 0)) {
    console.log('The entities and the migrations agree: no migration to write.');
    return 1;
  }
  const timestamp = Date.now();
  const className = `${name}${timestamp}`;
  const kebab = name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  const file = join('libs', lib, 'src', 'migrations', `${timestamp}-${kebab}.ts`);
  mkdirSync(join('libs', lib, 'src', 'migrations'), { recursive: true });
  writeFileSync(file, migrationSource(className, sqlite, postgres), { flag: 'wx' });
  console.log(`Wrote ${file} (${className}).`);
  console.log(`Add ${className} to the migrations of libs/${lib} (its Feature's migrations, or MIGRATIONS in libs/persistence).`);
  if (!postgres) {
    console.log(
      'PostgreSQL: not generated (no --postgres): its branch throws until you write it by hand, or run again with --postgres postgres://… (a server it may create a scratch database on).',
    );
  }
  return 0;
}

/** `--lib <lib>` and `--postgres <url>`, each at most once, in any order; undefined for anything else. */
function optionsOf(rest: readonly string[]): { lib?: string; postgres?: string } | undefined {
  const options: { lib?: string; postgres?: string } = {};
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i];
    const value = rest[i + 1];
    if ((flag !== '--lib' && flag !== '--postgres') || value === undefined) return undefined;
    const key = flag === '--lib' ? 'lib' : 'postgres';
    if (options[key] !== undefined) return undefined;
    options[key] = value;
  }
  return options;
}
