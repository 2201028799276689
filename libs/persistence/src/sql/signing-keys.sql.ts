import { sqlStatement } from './sql-statement.js';

/**
 * Adds a key as the given generation; changes nothing when another process added that
 * generation first (the unique index decides), so of two processes that both saw no next key
 * exactly one adds it.
 */
export const INSERT_SIGNING_KEY = sqlStatement<{
  kid: string;
  generation: number;
  algorithm: string;
  publicJwk: string;
  sealedPrivateKey: string;
  createdAt: number;
  activatesAt: number;
}>(
  'signing_keys.insert',
  `INSERT INTO signing_keys (kid, generation, algorithm, public_jwk, sealed_private_key, created_at, activates_at, revoked_at)
    VALUES (:kid, :generation, :algorithm, :publicJwk, :sealedPrivateKey, :createdAt, :activatesAt, NULL)
    ON CONFLICT (generation) DO NOTHING`,
);

/** Brings a key's activation forward to `activatesAt` (never later, never for a revoked key). */
export const ACTIVATE_SIGNING_KEY_AT = sqlStatement<{ kid: string; activatesAt: number }>(
  'signing_keys.activate_at',
  `UPDATE signing_keys SET activates_at = :activatesAt
    WHERE kid = :kid AND revoked_at IS NULL AND activates_at > :activatesAt`,
);

/** Revokes a key once (a second revocation changes nothing). */
export const REVOKE_SIGNING_KEY = sqlStatement<{ kid: string; now: number }>(
  'signing_keys.revoke',
  'UPDATE signing_keys SET revoked_at = :now WHERE kid = :kid AND revoked_at IS NULL',
);
