/**
 * What the health endpoints ask of the database, provided by the persistence lib (which knows
 * the DataSource and its migrations), so that the HTTP side lives here beside /metrics and
 * both apps mount it the same way.
 */
export abstract class DatabaseHealth {
  /** The database answers a trivial query. */
  abstract answers(): Promise<boolean>;
  /** Every migration of this build is recorded as applied. */
  abstract migrationsApplied(): Promise<boolean>;
}
