import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { testPkiIn, type TestPki } from '../../scripts/services/certs.js';
import { SECURE_KAFKA_USERS, type SecureEndpoints } from '../../scripts/services/endpoints.js';

export { SECURE_KAFKA_USERS };

/**
 * The secure broker and TLS InfluxDB, with their certificates. Absent ones fail the test that
 * needs them with the way to get them, never skip it.
 */
export function secureServices(): SecureEndpoints & { pki: TestPki; ca: string } {
  const provided = inject('secureServices');
  if ('missing' in provided) {
    throw new Error(`the secure test services are missing: ${provided.missing}`);
  }
  const pki = testPkiIn(provided.endpoints.tlsDir);
  return { ...provided.endpoints, pki, ca: readFileSync(pki.caFile, 'utf8') };
}
