import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { UserEntity } from './user.entity.js';
import { epochMs } from './epoch-ms.transformer.js';

export type DevicePlatform = 'ios' | 'android' | 'web' | 'other';

/**
 * Which client a device session was signed in through: an API client (mobile app, SPA, service)
 * or the dashboard's own browser session. Their access tokens carry different audiences and
 * neither app accepts the other's tokens (API.md § Tokens), so a stolen API token never opens
 * the dashboard.
 */
export type SessionClient = 'api' | 'dashboard';

/** Why a device session ended; kept on the row and in its security event. */
export type RevocationReason =
  'logout' | 'revoked' | 'revoked_others' | 'password_changed' | 'token_revoked' | 'refresh_token_reused' | 'operator' | 'device_limit';

/** RFC 8176 authentication method references, as the access token's `amr` carries them. */
export type AuthenticationMethod = 'pwd' | 'otp' | 'mfa' | 'hwk' | 'user';

/** One signed-in device: the unit that is listed, renamed and revoked. */
@Entity({ name: 'devices' })
@Index('devices_user_id_revoked_at_idx', ['userId', 'revokedAt'])
// The revocation sync asks "what was revoked since t?" every second on every process.
@Index('devices_revoked_at_idx', ['revokedAt'])
export class DeviceEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @ForeignKey(() => UserEntity, { name: 'devices_user_id_fk', onDelete: 'CASCADE' })
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  /** A display label the user chose; never an identifier. */
  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  platform!: DevicePlatform;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'last_seen_at', type: 'bigint', transformer: epochMs })
  lastSeenAt!: number;

  /** The absolute end of this device session (SESSION_MAX_AGE after login). */
  @Column({ name: 'session_expires_at', type: 'bigint', transformer: epochMs })
  sessionExpiresAt!: number;

  @Column({ name: 'revoked_at', type: 'bigint', nullable: true, transformer: epochMs })
  revokedAt!: number | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true })
  revokedReason!: RevocationReason | null;

  /** The user who revoked it (the owner or an operator); null when the system did. */
  @Column({ name: 'revoked_by', type: 'varchar', length: 36, nullable: true })
  revokedBy!: string | null;

  /** DPoP: the RFC 7638 thumbprint of the key this device is bound to; null for a bearer device. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  jkt!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'api' })
  client!: SessionClient;

  /** When the user last actively authenticated on this device (RFC 9470 `auth_time`); a refresh never moves it. */
  @Column({ name: 'auth_time', type: 'bigint', default: 0, transformer: epochMs })
  authTime!: number;

  /** How they did (`amr`), comma-separated: `pwd`, `pwd,otp,mfa`, `hwk,user,mfa`. */
  @Column({ type: 'varchar', length: 64, default: 'pwd' })
  amr!: string;
}
