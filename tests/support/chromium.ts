import { existsSync } from 'node:fs';

const CANDIDATES = [
  '/usr/bin/chromium-headless-shell',
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
];

/**
 * The headless Chromium the report's browser test drives: CHROMIUM_PATH, else Debian's
 * packages. Never skipped: without one the test fails saying how to get it.
 */
export function chromiumPath(): string {
  const given = process.env.CHROMIUM_PATH;
  if (given) {
    if (!existsSync(given)) throw new Error(`CHROMIUM_PATH=${given} does not exist`);
    return given;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      'the HTML report test needs a headless Chromium: apt-get install chromium-headless-shell (Debian/Ubuntu; .ci/run does it), or set CHROMIUM_PATH',
    );
  }
  return found;
}
