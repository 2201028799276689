// `npm run new:module -- <name>`: scaffolds a feature module (README, "Extending") as libs/<name>,
// a guarded module with its own table, and registers it with one line in
// libs/features/src/registered.ts. What it writes builds, lints and passes its own e2e test on
// SQLite and PostgreSQL as it is (test/extending.e2e-spec.ts runs exactly that on every commit).
//
//   libs/<name>/src/index.ts                      the Feature: module, entities, migrations
//   libs/<name>/src/<name>.module.ts              the Nest module (controller + service)
//   libs/<name>/src/<name>.controller.ts          GET, POST /<name>, DELETE /<name>/:id, by @CurrentActor()
//   libs/<name>/src/<name>.service.ts             the rows of the acting account only
//   libs/<name>/src/<item>.entity.ts              the table
//   libs/<name>/src/<item>.dto.ts                 the request body (class-validator) and the response schemas
//   libs/<name>/src/<item>-not-found.error.ts     the 404 (a DomainError)
//   libs/<name>/src/migrations/<time>-create-<name>.ts   the table's migration (both databases)
//   libs/<name>/test/<name>.e2e-spec.ts           the e2e test, on the project's test helpers
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const REGISTRY = 'libs/features/src/registered.ts';

function fail(message) {
  console.error(message);
  process.exit(2);
}

const [name, ...extra] = process.argv.slice(2);
if (!name || extra.length > 0) fail('Usage: npm run new:module -- <name>   (lower-case words joined by "-", e.g. notes or shopping-lists)');
if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name) || name.length > 40) {
  fail(`"${name}" is not a module name: lower-case letters and digits, words joined by "-" (e.g. notes, shopping-lists), at most 40.`);
}
if (existsSync(join(ROOT, 'libs', name))) fail(`libs/${name} exists already: pick another name.`);

// The product's routes and tables are taken: a module of that name would shadow them.
const productPaths = Object.keys(JSON.parse(readFileSync(join(ROOT, 'docs/openapi.json'), 'utf8')).paths);
if (productPaths.some((path) => path.split('/')[1] === name)) fail(`/${name} is a route of the product: pick another name.`);
const table = name.replaceAll('-', '_');
const entitiesDir = join(ROOT, 'libs/persistence/src/entities');
const productTables = readdirSync(entitiesDir).flatMap((file) =>
  [...readFileSync(join(entitiesDir, file), 'utf8').matchAll(/@Entity\(\{ name: '(\w+)'/g)].map((match) => match[1]),
);
if (productTables.includes(table) || ['schema_migrations', 'device_revocations'].includes(table)) {
  fail(`The product has a table "${table}": pick another name.`);
}

const words = name.split('-');
const pascal = words.map((word) => word[0].toUpperCase() + word.slice(1)).join('');
const camel = pascal[0].toLowerCase() + pascal.slice(1);
// One row of the table: "notes" → Note. A name not ending in "s" is its own singular.
const Item = pascal.endsWith('s') && pascal.length > 1 ? pascal.slice(0, -1) : pascal;
const itemFile = Item === pascal ? name : name.slice(0, -1);
const timestamp = Date.now();
const Migration = `Create${pascal}${timestamp}`;
const human = words.join(' ');

const files = {
  [`libs/${name}/src/index.ts`]: `import type { Feature } from '@app/persistence';
import { ${Migration} } from './migrations/${timestamp}-create-${name}.js';
import { ${pascal}Module } from './${name}.module.js';
import { ${Item}Entity } from './${itemFile}.entity.js';

export { ${pascal}Module } from './${name}.module.js';
export { ${Item}Entity } from './${itemFile}.entity.js';

/**
 * The ${human} feature, registered in libs/features/src/registered.ts: the API imports its module,
 * and every data source its table (README, "Extending").
 */
export const ${camel}Feature: Feature = {
  module: ${pascal}Module,
  entities: [${Item}Entity],
  migrations: [${Migration}],
};
`,

  [`libs/${name}/src/${name}.module.ts`]: `import { Module } from '@nestjs/common';
import { ${pascal}Controller } from './${name}.controller.js';
import { ${pascal}Service } from './${name}.service.js';

/** \`/${name}\`: each account's own ${human}. The DataSource and the Clock come from the app (global). */
@Module({
  controllers: [${pascal}Controller],
  providers: [${pascal}Service],
})
export class ${pascal}Module {}
`,

  [`libs/${name}/src/${name}.controller.ts`]: `import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiAccessToken } from '@app/auth';
import { ApiProblemResponse, ApiValidationResponse, CurrentActor, uuidParam, type Actor } from '@app/platform';
import { Create${Item}Dto, ${Item}ListSchema, ${Item}Schema, to${Item}Response, type ${Item}Response } from './${itemFile}.dto.js';
import { ${Item}NotFound } from './${itemFile}-not-found.error.js';
import { ${pascal}Service } from './${name}.service.js';

/**
 * Guarded like every route without \`@Public()\`: the API's guard has verified the access token
 * (no database query) before a method runs, and \`@CurrentActor()\` is who acts.
 */
@ApiTags('${name}')
@ApiAccessToken()
@ApiProblemResponse(503, 'The database is unreachable.')
@Controller('${name}')
export class ${pascal}Controller {
  constructor(private readonly ${camel}: ${pascal}Service) {}

  @Get()
  @ApiOperation({ operationId: 'list${pascal}', summary: "The caller's ${human}, newest first" })
  @ApiOkResponse({ type: ${Item}ListSchema })
  async list(@CurrentActor() actor: Actor): Promise<{ ${camel}: ${Item}Response[] }> {
    return { ${camel}: (await this.${camel}.listFor(actor)).map(to${Item}Response) };
  }

  @Post()
  @ApiOperation({ operationId: 'create${Item}', summary: 'Add one' })
  @ApiCreatedResponse({ type: ${Item}Schema })
  @ApiValidationResponse()
  async create(@Body() body: Create${Item}Dto, @CurrentActor() actor: Actor): Promise<${Item}Response> {
    return to${Item}Response(await this.${camel}.create(actor, body.text));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'delete${Item}', summary: "Delete one of the caller's own" })
  @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblemResponse(404, "Not one of the caller's (another account's, unknown or malformed id alike).")
  remove(@Param('id', uuidParam(() => new ${Item}NotFound())) id: string, @CurrentActor() actor: Actor): Promise<void> {
    return this.${camel}.remove(actor, id);
  }
}
`,

  [`libs/${name}/src/${name}.service.ts`]: `import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type Repository } from 'typeorm';
import { Clock, type Actor } from '@app/platform';
import { ${Item}Entity } from './${itemFile}.entity.js';
import { ${Item}NotFound } from './${itemFile}-not-found.error.js';

/** Each account sees and changes its own ${human} only: every query is scoped by the actor's userId. */
@Injectable()
export class ${pascal}Service {
  private readonly rows: Repository<${Item}Entity>;

  constructor(
    dataSource: DataSource,
    private readonly clock: Clock,
  ) {
    this.rows = dataSource.getRepository(${Item}Entity);
  }

  listFor(actor: Actor): Promise<${Item}Entity[]> {
    return this.rows.find({ where: { userId: actor.userId }, order: { createdAt: 'DESC', id: 'ASC' } });
  }

  async create(actor: Actor, text: string): Promise<${Item}Entity> {
    const row: ${Item}Entity = { id: randomUUID(), userId: actor.userId, text, createdAt: this.clock.now() };
    await this.rows.insert(row);
    return row;
  }

  async remove(actor: Actor, id: string): Promise<void> {
    const { affected } = await this.rows.delete({ id, userId: actor.userId });
    if (!affected) throw new ${Item}NotFound();
  }
}
`,

  [`libs/${name}/src/${itemFile}.entity.ts`]: `import { Column, Entity, Index, PrimaryColumn, type ValueTransformer } from 'typeorm';

/** Epoch milliseconds in a BIGINT column, as the product stores times (PostgreSQL reads BIGINT back as a string). */
const epochMs: ValueTransformer = { to: (value: number) => value, from: (value: string | number) => Number(value) };

/** One row of \`${table}\`: created by migrations/${timestamp}-create-${name}.ts, which must say the same. */
@Entity({ name: '${table}' })
export class ${Item}Entity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** The account it belongs to (the actor's userId). */
  @Index('${table}_user_id_idx')
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @Column({ type: 'varchar', length: 1000 })
  text!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}
`,

  [`libs/${name}/src/${itemFile}.dto.ts`]: `import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import type { ${Item}Entity } from './${itemFile}.entity.js';

/** The request body: validated by the app's pipe (unknown fields refused, 400 with \`errors\`). */
@ApiSchema({ name: 'Create${Item}Request' })
export class Create${Item}Dto {
  @ApiProperty({ minLength: 1, maxLength: 1000, example: 'Buy milk' })
  @IsString()
  @Length(1, 1000)
  text!: string;
}

@ApiSchema({ name: '${Item}' })
export class ${Item}Schema {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  text!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

@ApiSchema({ name: '${Item}List' })
export class ${Item}ListSchema {
  @ApiProperty({ type: [${Item}Schema] })
  ${camel}!: ${Item}Schema[];
}

export interface ${Item}Response {
  readonly id: string;
  readonly text: string;
  readonly createdAt: string;
}

export function to${Item}Response(row: ${Item}Entity): ${Item}Response {
  return { id: row.id, text: row.text, createdAt: new Date(row.createdAt).toISOString() };
}
`,

  [`libs/${name}/src/${itemFile}-not-found.error.ts`]: `import { DomainError } from '@app/platform';

/** Unknown, malformed and other accounts' ids all answer this one 404 (problem+json). */
export class ${Item}NotFound extends DomainError {
  readonly category = 'not_found';
  readonly code = '${itemFile}-not-found';
  constructor() {
    super('No such ${itemFile.replaceAll('-', ' ')}.');
  }
}
`,

  [`libs/${name}/src/migrations/${timestamp}-create-${name}.ts`]: `import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The \`${table}\` table (${Item}Entity). By TypeORM's Table API, so the one migration builds the
 * same table on SQLite and PostgreSQL. Later changes: edit the entity, then
 * \`npm run migration:generate -- <Name> --lib ${name}\`.
 */
export class ${Migration} implements MigrationInterface {
  name = '${Migration}';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: '${table}',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'text', type: 'varchar', length: '1000' },
          { name: 'created_at', type: 'bigint' },
        ],
        indices: [new TableIndex({ name: '${table}_user_id_idx', columnNames: ['user_id'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('${table}');
  }
}
`,

  [`libs/${name}/test/${name}.e2e-spec.ts`]: `import { randomUUID } from 'node:crypto';
import { bearer, registerAndLogin, startTestApi, type TestApi } from '../../../test/support/api.js';

// The ${human} feature through the real API (createApiApp, as main.ts builds it) on a scratch
// database: SQLite, and PostgreSQL too when the run has TEST_DATABASE_URL.

describe('${name} (a feature module)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });

  afterAll(async () => {
    await api.close();
  });

  it('refuses every route without a valid access token', async () => {
    await api.http().get('/${name}').expect(401);
    await api.http().post('/${name}').send({ text: 'x' }).expect(401);
    await api.http().get('/${name}').set('Authorization', 'Bearer not-a-token').expect(401);
  });

  it("keeps each account's rows to itself", async () => {
    const ann = await registerAndLogin(api);
    const bob = await registerAndLogin(api);
    const created = await api.http().post('/${name}').set('Authorization', bearer(ann.tokens)).send({ text: 'Buy milk' }).expect(201);
    expect(created.body).toEqual({ id: expect.any(String), text: 'Buy milk', createdAt: expect.any(String) });

    const anns = await api.http().get('/${name}').set('Authorization', bearer(ann.tokens)).expect(200);
    expect(anns.body).toEqual({ ${camel}: [created.body] });
    await api.http().get('/${name}').set('Authorization', bearer(bob.tokens)).expect(200, { ${camel}: [] });

    await api.http().delete(\`/${name}/\${created.body.id}\`).set('Authorization', bearer(bob.tokens)).expect(404);
    await api.http().delete(\`/${name}/\${created.body.id}\`).set('Authorization', bearer(ann.tokens)).expect(204);
    await api.http().delete(\`/${name}/\${created.body.id}\`).set('Authorization', bearer(ann.tokens)).expect(404);
    await api.http().get('/${name}').set('Authorization', bearer(ann.tokens)).expect(200, { ${camel}: [] });
  });

  it('answers bad input with 400 or 404, never 500', async () => {
    const { tokens } = await registerAndLogin(api);
    for (const body of [{}, { text: '' }, { text: 'x'.repeat(1001) }, { text: 42 }, { text: 'ok', extra: true }, []]) {
      const response = await api.http().post('/${name}').set('Authorization', bearer(tokens)).send(body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
    }
    await api.http().delete('/${name}/not-a-uuid').set('Authorization', bearer(tokens)).expect(404);
    await api.http().delete(\`/${name}/\${randomUUID()}\`).set('Authorization', bearer(tokens)).expect(404);
  });

  it('is described in /openapi.json', async () => {
    const { body } = await api.http().get('/openapi.json').expect(200);
    expect(Object.keys(body.paths['/${name}']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(body.paths['/${name}/{id}'])).toEqual(['delete']);
  });

  it('has the table its entity describes (the migration and the entity agree)', async () => {
    const pending = await api.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map(({ query }) => query).filter((query) => query.includes('${table}'))).toEqual([]);
  });
});
`,
};

for (const [path, content] of Object.entries(files)) {
  mkdirSync(dirname(join(ROOT, path)), { recursive: true });
  writeFileSync(join(ROOT, path), content, { flag: 'wx' });
  console.log(`created ${path}`);
}
const registry = readFileSync(join(ROOT, REGISTRY), 'utf8');
const line = `export { ${camel}Feature } from '@app/${name}';\n`;
writeFileSync(join(ROOT, REGISTRY), registry.endsWith('\n') ? registry + line : `${registry}\n${line}`);
console.log(`registered in ${REGISTRY}: ${line.trim()}`);
console.log(`
Next: npm run build, then npm test (or just this module's test:
  TEST_SUITES=parallel node --experimental-vm-modules node_modules/jest/bin/jest.js libs/${name}).
Change the table later: edit libs/${name}/src/${itemFile}.entity.ts, then
  npm run migration:generate -- <Name> --lib ${name}   and add the migration to ${camel}Feature.migrations.`);
