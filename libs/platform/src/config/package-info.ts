import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  readonly name: string;
  readonly version: string;
  /** The project's root folder (where package.json is), for files shipped beside the code. */
  readonly root: string;
}

let cached: PackageInfo | undefined;

/** The project's name and version, from the nearest package.json above this file. */
export function readPackageInfo(): PackageInfo {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return (cached = { name: 'device-auth', version: '0.0.0', root: process.cwd() });
    dir = parent;
  }
  const { name, version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageInfo;
  return (cached = { name, version, root: dir });
}
