import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, signAccessToken } from '../support/api-client.js';
import { check, log, sleep, startApi, type Context } from '../support/context.js';
import { runLoad } from '../support/load.js';
import { seedDevices, type Seeded } from '../support/seed-devices.js';
import type { ServerProcess } from '../support/server-process.js';
import { round } from '../support/stats.js';

interface MemorySample {
  readonly idleRssMiB: number;
  readonly afterLoadRssMiB: number;
  readonly peakRssMiB: number;
}

/** Figure 6. */
export type MemoryFigures =
  | { readonly skipped: string }
  | {
      readonly devices: number;
      readonly revokedInSet: number;
      readonly users: number;
      readonly seedSeconds: number;
      readonly empty: MemorySample;
      readonly seeded: MemorySample;
    };

/**
 * Figure 6: resident memory of the API, empty database vs 100,000 devices with 10,000 recently
 * revoked (the revocation set is held in memory, so its size is the design's memory cost),
 * idle and after a short GET /me load. Seeds SQLite only.
 */
export async function measureMemory(context: Context): Promise<MemoryFigures> {
  const { settings } = context;
  if (!context.sqlite) return { skipped: 'seeding writes SQLite only' };
  const dir = join(context.scratch, 'memory');
  mkdirSync(dir);
  const path = join(dir, 'auth.sqlite');
  const url = `sqlite:${path}`;

  const sample = async (api: ServerProcess, token: string): Promise<MemorySample> => {
    await sleep(settings.memorySettleS * 1000);
    const idle = api.memory();
    await runLoad(api, {
      connections: settings.connections,
      durationS: settings.runS,
      path: '/me',
      headers: { authorization: `Bearer ${token}` },
    });
    const loaded = api.memory();
    const mib = (kib: number) => round(kib / 1024, 1);
    return { idleRssMiB: mib(idle.rssKiB), afterLoadRssMiB: mib(loaded.rssKiB), peakRssMiB: mib(loaded.peakKiB) };
  };

  // The first start migrates the empty file; its figures are the baseline.
  let api = await startApi(context, url);
  let empty: MemorySample;
  try {
    empty = await sample(api, signAccessToken(context.config, randomUUID(), randomUUID()));
  } finally {
    await api.stop();
  }

  const seeded: Seeded = seedDevices(path, {
    ...settings.memory,
    revokedWithinMs: (context.config.accessTokenTtl - 60) * 1000,
    now: Date.now(),
  });
  log(`seeded ${seeded.devices} devices (${seeded.revoked} revoked) in ${seeded.seconds.toFixed(1)} s`);

  api = await startApi(context, url);
  try {
    const client = new ApiClient(api.url);
    const live = signAccessToken(context.config, seeded.sampleLive.userId, seeded.sampleLive.deviceId);
    const revoked = signAccessToken(context.config, seeded.sampleRevoked.userId, seeded.sampleRevoked.deviceId);
    check((await client.status('/me', live)) === 200, 'a seeded live device is let in');
    check((await client.status('/me', revoked)) === 401, 'a seeded revoked device is refused (the revocations were loaded at start)');
    const full = await sample(api, live);
    return {
      devices: seeded.devices,
      revokedInSet: seeded.revoked,
      users: seeded.users,
      seedSeconds: round(seeded.seconds, 1),
      empty,
      seeded: full,
    };
  } finally {
    await api.stop();
  }
}
