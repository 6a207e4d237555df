import type { TestProject } from 'vitest/node';
import { obtainAlertmanager } from '../scripts/services/alertmanager.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Alertmanager's base URL, or why there is none (the tests that need it then fail). */
    alertmanager: { url: string } | { missing: string };
  }
}

/**
 * A real Alertmanager for the `alertmanager` receiver's tests, beside the services of
 * global-setup.ts: ALERTMANAGER_URL when set (`eval "$(npm run -s services -- env)"` after
 * `npm run services -- up`), else built from the Go module proxy (cached) and run natively.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const am = await obtainAlertmanager();
    process.stderr.write(`[test services] Alertmanager: ${am.source} at ${am.url}\n`);
    project.provide('alertmanager', { url: am.url });
    return am.stop;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    project.provide('alertmanager', {
      missing: `no Alertmanager: ${reason}. Set ALERTMANAGER_URL, or let the tests build it (needs go and the Go module proxy).`,
    });
    return async () => {};
  }
}
