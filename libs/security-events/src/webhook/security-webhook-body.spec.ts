import { createSecretKey } from 'node:crypto';
import type { SecurityEventEntity } from '@app/persistence';
import { securityWebhookBody, signSecurityWebhookBody } from './security-webhook-body.js';

const EVENT: SecurityEventEntity = {
  id: '7d0c2c4e-1b1e-4f7a-9a53-5f3b8f0b9c11',
  occurrences: 1,
  keyId: null,
  userId: '0b8f5a1c-2d3e-4f50-8a6b-7c8d9e0f1a2b',
  type: 'refresh_token_reused',
  deviceId: 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f',
  deviceName: 'Pixel 8',
  actor: 'system',
  actorUserId: null,
  actorDeviceId: null,
  reason: 'refresh_token_reused',
  ip: '203.0.113.9',
  userAgent: 'okhttp/4.12',
  createdAt: Date.UTC(2026, 10, 26, 9, 41, 7, 512),
};

describe('security webhook body', () => {
  it('says what happened to whom, and leaves out the IP address and user agent', () => {
    expect(securityWebhookBody(EVENT)).toBe(
      '{"id":"7d0c2c4e-1b1e-4f7a-9a53-5f3b8f0b9c11","type":"refresh_token_reused","occurredAt":"2026-11-26T09:41:07.512Z",' +
        '"userId":"0b8f5a1c-2d3e-4f50-8a6b-7c8d9e0f1a2b","deviceId":"c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f","deviceName":"Pixel 8",' +
        '"reason":"refresh_token_reused","actor":"system"}',
    );
  });

  it('signs like GitHub webhooks (their documented example), over the UTF-8 bytes', () => {
    const key = createSecretKey(Buffer.from("It's a Secret to Everybody", 'utf8'));
    expect(signSecurityWebhookBody('Hello, World!', key)).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
    expect(signSecurityWebhookBody('Ünïcödé', key)).not.toBe(signSecurityWebhookBody('Unicode', key));
  });
});
