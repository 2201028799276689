import type { Type } from '@nestjs/common';
import type { MigrationInterface } from 'typeorm';

/**
 * A feature module added to the product (README, "Extending"): its Nest module, and the tables
 * it owns, as entities and the migrations that create them. Registered by one line in
 * libs/features/src/registered.ts; the API imports the module, and every data source (API,
 * dashboard, `npm run migration:run`) adds the entities and migrations to the product's.
 */
export interface Feature {
  readonly module: Type<unknown>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own type for an entity class
  readonly entities: readonly Function[];
  readonly migrations: readonly (new () => MigrationInterface)[];
}
