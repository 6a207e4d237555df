import { createHash } from 'node:crypto';

/**
 * Deterministic ids: the same evaluation always yields the same ids, so a replay after a crash
 * produces records receivers recognise (webhook-id, Message-ID) instead of new ones.
 */
export function stableId(...parts: readonly (string | number)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${String(p).length}:${String(p)}`);
  return h.digest('hex').slice(0, 32);
}
