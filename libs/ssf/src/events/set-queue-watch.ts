import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { RevocationSet } from '@app/auth';

/**
 * Tells this process's push sender and held polls that a SET may have been queued, so they
 * look at once instead of at their next tick: on every revocation this process makes or hears
 * of (RevocationSet.onAdded: its own at once, other processes' by PostgreSQL NOTIFY or the
 * periodic sync), and on a verification request. A hint only: they also look on their own.
 */
@Injectable()
export class SetQueueWatch implements OnModuleDestroy {
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: () => void;

  constructor(revocations: RevocationSet) {
    this.unsubscribe = revocations.onAdded(() => this.notify());
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  onQueued(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
