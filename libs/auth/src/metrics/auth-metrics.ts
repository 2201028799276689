import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { DomainError, MetricsRegistry, RateLimited, ServiceBusy } from '@app/platform';
import { InvalidCredentials, RefreshTokenRejected } from '../auth.errors.js';
import { PasswordHasher } from '../passwords/password-hasher.js';

/**
 * Sign-ins and refreshes by outcome, and the password-hashing queue, as Prometheus metrics
 * (`GET /metrics` on the API). DPoP and revocation register their own (DpopMetrics,
 * RevocationMetrics). Outcomes are counted where they are decided; the queue depth is read only
 * when scraped, so the request paths pay for counters and nothing else.
 */
@Injectable()
export class AuthMetrics {
  private readonly signIns: Counter<'outcome'>;
  private readonly refreshes: Counter<'outcome'>;

  constructor(registry: MetricsRegistry, hasher: PasswordHasher) {
    this.signIns = registry.counter({
      name: 'auth_sign_ins_total',
      help: 'Sign-ins by outcome: success, invalid_credentials, rate_limited, busy, dpop_rejected, error.',
      labelNames: ['outcome'],
    });
    this.refreshes = registry.counter({
      name: 'auth_refreshes_total',
      help: 'Refresh-token requests by outcome: success, an invalid_grant reason (reused, revoked, expired, ...), invalid_dpop_proof, use_dpop_nonce, invalid_request, error.',
      labelNames: ['outcome'],
    });
    registry.gauge({
      name: 'auth_password_hash_queue_depth',
      help: 'Password hashes and verifications waiting for a core (PASSWORD_QUEUE_LIMIT caps it; then 503).',
      collect() {
        this.set(hasher.queueDepth);
      },
    });
  }

  /** Counts a sign-in by how it ended: `error` undefined for a success. */
  signIn(error?: unknown): void {
    this.signIns.inc({ outcome: error === undefined ? 'success' : signInOutcome(error) });
  }

  refresh(error?: unknown): void {
    this.refreshes.inc({ outcome: error === undefined ? 'success' : refreshOutcome(error) });
  }
}

function signInOutcome(error: unknown): string {
  if (error instanceof InvalidCredentials) return 'invalid_credentials';
  if (error instanceof RateLimited) return 'rate_limited';
  if (error instanceof ServiceBusy) return 'busy';
  if (isDpopRefusal(error)) return 'dpop_rejected';
  return 'error';
}

function refreshOutcome(error: unknown): string {
  if (error instanceof RefreshTokenRejected) return error.reason;
  if (isDpopRefusal(error)) return error.oauthError!;
  if (error instanceof ServiceBusy || error instanceof RateLimited) return 'busy';
  if ((error as { category?: unknown }).category === 'invalid_input') return 'invalid_request';
  return 'error';
}

/** A DPoP refusal, told by the OAuth error it answers with (`invalid_dpop_proof`, `use_dpop_nonce`). */
function isDpopRefusal(error: unknown): error is DomainError {
  const code = error instanceof DomainError ? error.oauthError : undefined;
  return code === 'invalid_dpop_proof' || code === 'use_dpop_nonce';
}
