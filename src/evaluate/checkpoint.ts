import type { EvaluateCheckpoint } from './partials-partition.js';

/** Offset-commit metadata of a partials partition (the broker keeps up to 4096 bytes by default). */
const PREFIX = 'dw2:';
const MAX_METADATA_CHARS = 4_000;

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

/**
 * The checkpoint as commit metadata. With very many input partitions the watermarks may not
 * fit: they are left out, and stage 2 waits for each source's next progress record after a
 * restart (sources re-announce as their watermark moves or their idle claim is renewed).
 */
export function encodeCheckpoint(c: EvaluateCheckpoint): string {
  const closed = finiteOrNull(c.closedUpTo);
  const full = `${PREFIX}${JSON.stringify({
    c: closed,
    w: [...c.watermarks].map(([p, w]) => [p, finiteOrNull(w)]),
    ...(c.readTo !== undefined && Number.isFinite(c.readTo) ? { r: c.readTo } : {}),
  })}`;
  return full.length <= MAX_METADATA_CHARS
    ? full
    : `${PREFIX}${JSON.stringify({ c: closed, w: [], ...(c.readTo !== undefined && Number.isFinite(c.readTo) ? { r: c.readTo } : {}) })}`;
}

/** The checkpoint in a committed offset's metadata; none for anything else (a fresh group). */
export function decodeCheckpoint(metadata: string | null | undefined): EvaluateCheckpoint {
  const none: EvaluateCheckpoint = { closedUpTo: -Infinity, watermarks: new Map() };
  if (!metadata?.startsWith(PREFIX)) return none;
  try {
    const parsed: unknown = JSON.parse(metadata.slice(PREFIX.length));
    if (typeof parsed !== 'object' || parsed === null) return none;
    const { c, w, r } = parsed as { c?: unknown; w?: unknown; r?: unknown };
    const watermarks = new Map<number, number>();
    if (Array.isArray(w)) {
      for (const entry of w as unknown[]) {
        if (!Array.isArray(entry)) continue;
        const [p, wm] = entry as unknown[];
        if (typeof p === 'number' && Number.isInteger(p)) {
          watermarks.set(p, typeof wm === 'number' ? wm : -Infinity);
        }
      }
    }
    const checkpoint: EvaluateCheckpoint = {
      closedUpTo: typeof c === 'number' ? c : -Infinity,
      watermarks,
    };
    if (typeof r === 'number' && Number.isInteger(r) && r >= 0) checkpoint.readTo = r;
    return checkpoint;
  } catch {
    // Written by this code only; unreadable means another tool's metadata: start fresh.
    return none;
  }
}
