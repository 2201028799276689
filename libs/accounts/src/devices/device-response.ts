import type { DeviceEntity } from '@app/persistence';

/** A device as API.md shows it. The one place a row becomes a response. */
export interface DeviceResponse {
  readonly id: string;
  readonly name: string;
  readonly platform: string;
  readonly userAgent: string | null;
  readonly ip: string | null;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly current: boolean;
  /** Bound to a DPoP key (RFC 9449): its tokens are useless without the key. */
  readonly keyBound: boolean;
}

export function toDeviceResponse(device: DeviceEntity, currentDeviceId: string | null): DeviceResponse {
  return {
    id: device.id,
    name: device.name,
    platform: device.platform,
    userAgent: device.userAgent,
    ip: device.ip,
    createdAt: new Date(device.createdAt).toISOString(),
    lastSeenAt: new Date(device.lastSeenAt).toISOString(),
    current: device.id === currentDeviceId,
    keyBound: device.jkt !== null,
  };
}
