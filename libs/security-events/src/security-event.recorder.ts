import { Injectable, Logger } from '@nestjs/common';
import { Clock, type AnyActor } from '@app/platform';
import { SecurityEventRepository, type NewSecurityEvent, type SecurityEventType } from '@app/persistence';

/** What happened to which account (and device), and why. */
export interface SecurityEventSubject {
  readonly type: SecurityEventType;
  readonly userId: string;
  readonly device?: { readonly id: string; readonly name: string } | null;
  readonly reason?: string | null;
}

/**
 * The one place security events are written: from a subject (what happened to which account
 * and device) and the actor who did it. An account acting on another account is an operator;
 * an anonymous request (a sign-in, an RFC 7009 revoke) is the account holder with the token
 * or password; the system is nobody.
 */
@Injectable()
export class SecurityEventRecorder {
  private readonly logger = new Logger(SecurityEventRecorder.name);

  constructor(
    private readonly clock: Clock,
    private readonly events: SecurityEventRepository,
  ) {}

  async record(by: AnyActor, ...subjects: SecurityEventSubject[]): Promise<void> {
    await this.events.record(...subjects.map((subject) => this.toEvent(subject, by)));
  }

  /**
   * One event for a run of the same thing (refused DPoP proofs on one device): `runId` names the
   * run, `occurrence` is this one's number in it. The run's one row is written by its first
   * occurrence to arrive and counts the highest number seen, so a stranger who repeats a refused
   * request cannot flood the account's activity or the operators' overview.
   */
  async recordRun(by: AnyActor, subject: SecurityEventSubject, runId: string, occurrence: number): Promise<void> {
    await this.events.recordRun(runId, this.toEvent(subject, by), occurrence);
  }

  /**
   * Records once the answer has been sent (a failed sign-in: its time must not tell whether
   * the account exists); a failure to record is logged, never thrown at the client.
   */
  recordAfterAnswer(by: AnyActor, subject: SecurityEventSubject): void {
    const event = this.toEvent(subject, by);
    setImmediate(() => {
      this.events
        .record(event)
        .catch((error: unknown) => this.logger.warn(`Could not record a security event: ${(error as Error).message}`));
    });
  }

  /**
   * An event of the service itself, concerning no account: a signing key's rotation or
   * revocation (`keyId` its kid), by the operator's command or by the service on schedule.
   */
  async recordKeyEvent(
    type: 'signing_key_rotated' | 'signing_key_revoked',
    keyId: string,
    actor: 'operator' | 'system',
    reason: string,
  ): Promise<void> {
    await this.events.record({
      userId: null,
      type,
      keyId,
      deviceId: null,
      deviceName: null,
      reason,
      createdAt: this.clock.now(),
      actor,
      actorUserId: null,
      actorDeviceId: null,
      ip: null,
      userAgent: null,
    });
  }

  private toEvent(subject: SecurityEventSubject, by: AnyActor): NewSecurityEvent {
    const common = {
      userId: subject.userId,
      type: subject.type,
      deviceId: subject.device?.id ?? null,
      deviceName: subject.device?.name ?? null,
      reason: subject.reason ?? null,
      createdAt: this.clock.now(),
    };
    switch (by.kind) {
      case 'account':
        return {
          ...common,
          actor: by.userId !== subject.userId && by.role === 'operator' ? 'operator' : 'user',
          actorUserId: by.userId,
          actorDeviceId: by.deviceId,
          ip: by.ip,
          userAgent: by.userAgent,
        };
      case 'anonymous':
        return {
          ...common,
          actor: 'user',
          actorUserId: subject.userId,
          actorDeviceId: subject.device?.id ?? null,
          ip: by.ip,
          userAgent: by.userAgent,
        };
      case 'system':
        return { ...common, actor: 'system', actorUserId: null, actorDeviceId: null, ip: null, userAgent: null };
    }
  }
}
