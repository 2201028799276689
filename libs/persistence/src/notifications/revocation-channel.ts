import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { AppConfig } from '@app/platform';

/** The channel the `devices_revoked_notify` trigger (migration 1764750000000) notifies. */
const CHANNEL = 'device_revoked';
/** The channel the `signing_keys_changed_notify` trigger (migration 1765300000000) notifies. */
const KEYS_CHANNEL = 'signing_keys_changed';

/** So operators (and the tests) can find these connections in `pg_stat_activity`. */
export const REVOCATION_LISTENER_APPLICATION_NAME = 'device-auth revocation listener';

/** Reconnect delays: quick at first (a restarted server), then at most every few seconds. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

export interface RevocationListener {
  /** A device was revoked (by any process or app), at `revokedAt` by the database's clock. */
  revoked(deviceId: string, revokedAt: number): void;
  /** The managed signing keys changed (a key was added, rotated or revoked): read them again. */
  keysChanged(): void;
  /**
   * The connection was (re)established after having been lost: notifications sent in
   * between are gone, so the listener catches up from the database.
   */
  reconnected(): void;
}

/**
 * Push half of the revocation model on PostgreSQL: one dedicated connection per process that
 * LISTENs for the revocation trigger's notifications. It reconnects by itself with backoff
 * (a restarted server, a connection killed with pg_terminate_backend), and tells its listener
 * when it did so the missed interval is read from the table. On SQLite there is nothing to
 * listen to and `listen` returns false.
 */
@Injectable()
export class RevocationChannel implements OnApplicationShutdown {
  private readonly logger = new Logger(RevocationChannel.name);
  private client: pg.Client | undefined;
  private listener: RevocationListener | undefined;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Set when a connection was lost (or never made): notifications may have been missed. */
  private missedNotifications = false;
  private closed = false;

  constructor(private readonly config: AppConfig) {}

  /**
   * Starts listening (PostgreSQL only). Resolves once the first connection listens, or after
   * the first failure (it keeps retrying in the background; the periodic sync covers the gap).
   */
  async listen(listener: RevocationListener): Promise<boolean> {
    if (this.config.database.kind !== 'postgres') return false;
    this.listener = listener;
    await this.connect();
    return true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed || this.config.database.kind !== 'postgres') return;
    const client = new pg.Client({
      connectionString: this.config.database.url,
      application_name: REVOCATION_LISTENER_APPLICATION_NAME,
      // A peer that vanished without closing the connection is noticed by TCP keep-alive.
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = undefined;
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      if (this.closed) return;
      this.missedNotifications = true;
      this.logger.warn(`Revocation listener connection lost${error ? ` (${error.message})` : ''}; reconnecting`);
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      if (message.channel === KEYS_CHANNEL) this.listener?.keysChanged();
      else this.deliver(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}; LISTEN ${KEYS_CHANNEL}`);
    } catch (error) {
      onLost(error as Error);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
    if (this.missedNotifications) {
      this.missedNotifications = false;
      this.listener?.reconnected();
    }
  }

  private scheduleReconnect(): void {
    clearTimeout(this.retryTimer);
    // A failure to even build a client (not a refused connection) is logged, never left as an
    // unhandled rejection that would end the process.
    this.retryTimer = setTimeout(
      () =>
        void this.connect().catch((error: unknown) =>
          this.logger.warn(`Revocation listener could not reconnect: ${(error as Error).message}`),
        ),
      this.retryMs,
    );
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }

  /** Payload "<device id> <revoked_at ms>", written by our own trigger; anything else is ignored. */
  private deliver(payload: string | undefined): void {
    const [deviceId, revokedAt] = (payload ?? '').split(' ');
    const at = Number(revokedAt);
    if (!deviceId || !Number.isSafeInteger(at)) return;
    this.listener?.revoked(deviceId, at);
  }
}
