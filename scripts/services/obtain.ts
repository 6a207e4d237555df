import type { ServiceEndpoints } from './endpoints.js';
import { up } from './cli.js';
import { isAlive } from './process.js';
import { endpointsFromEnv, readState } from './state.js';

/**
 * Services for the demo and the bench: env variables if set, else those left by
 * `npm run services -- up`, else start them (they stay up; `npm run services -- down` stops them).
 */
export async function obtainServices(): Promise<{ endpoints: ServiceEndpoints; source: string }> {
  const fromEnv = endpointsFromEnv(process.env);
  if (fromEnv.endpoints) return { endpoints: fromEnv.endpoints, source: 'environment variables' };
  const running = readState();
  if (running?.processes.every((p) => isAlive(p.pid))) {
    return { endpoints: running.endpoints, source: 'npm run services -- up (already running)' };
  }
  await up();
  const state = readState();
  if (!state) throw new Error('services did not start');
  return {
    endpoints: state.endpoints,
    source: 'npm run services -- up (started now; stop with npm run services -- down)',
  };
}
