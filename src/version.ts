import { readFileSync } from 'node:fs';

/** driftwatch's version from package.json: in every baseline it builds, --version, build_info. */
function readVersion(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'driftwatch' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not at this depth: the compiled layout (dist/src) sits one level deeper.
    }
  }
  return 'unknown';
}

export const TOOL_VERSION = readVersion();
