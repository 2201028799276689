export { DeviceNotFound } from './device-not-found.error.js';
export { toDeviceResponse, type DeviceResponse } from './device-response.js';
export { DevicesApiModule } from './devices-api.module.js';
export { DevicesModule } from './devices.module.js';
export { DevicesService } from './devices.service.js';
export { RenameDeviceDto } from './rename-device.dto.js';
export { SecurityEventsService } from './security-events.service.js';
export { collapseFailures, type ActivityEntry } from './activity-entry.js';
