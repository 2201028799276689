import type { DeviceEntity } from '@app/persistence';
import { userAgentLabel } from '@app/platform';
import { formatExact, formatRelative } from '../rendering/time-format.js';

/** A device as the dashboard shows it. Every string here is rendered escaped. */
export interface DeviceView {
  readonly id: string;
  readonly name: string;
  /** What the user agent says the device is ("Safari on iPhone"), beside the name it was given; null when it says nothing usable. */
  readonly label: string | null;
  readonly platform: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly current: boolean;
  readonly keyBound: boolean;
  readonly lastSeenIso: string;
  readonly lastSeenExact: string;
  readonly lastSeenRelative: string;
  readonly createdIso: string;
  readonly createdExact: string;
}

export function toDeviceView(device: DeviceEntity, currentDeviceId: string | null, now: number): DeviceView {
  return {
    id: device.id,
    name: device.name,
    label: userAgentLabel(device.userAgent),
    platform: device.platform,
    ip: device.ip,
    userAgent: device.userAgent,
    current: device.id === currentDeviceId,
    keyBound: device.jkt !== null,
    lastSeenIso: new Date(device.lastSeenAt).toISOString(),
    lastSeenExact: formatExact(device.lastSeenAt),
    lastSeenRelative: formatRelative(device.lastSeenAt, now),
    createdIso: new Date(device.createdAt).toISOString(),
    createdExact: formatExact(device.createdAt),
  };
}
