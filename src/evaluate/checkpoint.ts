import type { EvaluateCheckpoint } from './partials-partition.js';

/** Offset-commit metadata of a partials partition (the broker keeps up to 4096 bytes by default). */
const PREFIX = 'dw2:';
const MAX_METADATA_CHARS = 4_000;

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

/** What encoding kept: the metadata, and how many running count windows did not fit. */
export interface EncodedCheckpoint {
  metadata: string;
  countStartsLeftOut: number;
}

/**
 * The checkpoint as commit metadata. With very many input partitions the watermarks may not
 * fit: they are left out, and stage 2 waits for each source's next progress record after a
 * restart (sources re-announce as their watermark moves or their idle claim is renewed). The
 * starts of running count windows (`k`: id + start in base 36) come next; those that do not
 * fit even then are left out (their windows restart at their next pane after a restart).
 */
export function encodeCheckpoint(c: EvaluateCheckpoint): string {
  return encodeCheckpointReport(c).metadata;
}

export function encodeCheckpointReport(c: EvaluateCheckpoint): EncodedCheckpoint {
  const closed = finiteOrNull(c.closedUpTo);
  const readTo = c.readTo !== undefined && Number.isFinite(c.readTo) ? { r: c.readTo } : {};
  // Oldest first: when not all fit, the windows that waited longest are kept.
  const starts = [...(c.countStarts ?? [])]
    .filter(([, start]) => Number.isInteger(start) && start >= 0)
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
    .map(([id, start]) => `${id}${start.toString(36)}`);
  const encode = (w: unknown[], k: string[]) =>
    `${PREFIX}${JSON.stringify({ c: closed, w, ...readTo, ...(k.length > 0 ? { k } : {}) })}`;
  const watermarks = [...c.watermarks].map(([p, w]) => [p, finiteOrNull(w)]);
  const full = encode(watermarks, starts);
  if (full.length <= MAX_METADATA_CHARS) return { metadata: full, countStartsLeftOut: 0 };
  let kept = starts.length;
  let metadata = encode([], starts);
  while (metadata.length > MAX_METADATA_CHARS && kept > 0) {
    // Each entry is at most 22 characters with its quotes and comma.
    kept = Math.max(
      0,
      Math.min(kept - 1, kept - Math.ceil((metadata.length - MAX_METADATA_CHARS) / 22)),
    );
    metadata = encode([], starts.slice(0, kept));
  }
  return { metadata, countStartsLeftOut: starts.length - kept };
}

/** The checkpoint in a committed offset's metadata; none for anything else (a fresh group). */
export function decodeCheckpoint(metadata: string | null | undefined): EvaluateCheckpoint {
  const none: EvaluateCheckpoint = { closedUpTo: -Infinity, watermarks: new Map() };
  if (!metadata?.startsWith(PREFIX)) return none;
  try {
    const parsed: unknown = JSON.parse(metadata.slice(PREFIX.length));
    if (typeof parsed !== 'object' || parsed === null) return none;
    const { c, w, r, k } = parsed as { c?: unknown; w?: unknown; r?: unknown; k?: unknown };
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
    if (Array.isArray(k)) checkpoint.countStarts = countStartsOf(k as unknown[]);
    return checkpoint;
  } catch {
    // Written by this code only; unreadable means another tool's metadata: start fresh.
    return none;
  }
}

/** Entries of 10 id characters then the start in base 36. */
function countStartsOf(entries: readonly unknown[]): Map<string, number> {
  const starts = new Map<string, number>();
  for (const e of entries) {
    if (typeof e !== 'string' || e.length < 11) continue;
    const start = parseInt(e.slice(10), 36);
    if (Number.isSafeInteger(start)) starts.set(e.slice(0, 10), start);
  }
  return starts;
}
