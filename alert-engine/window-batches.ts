import { SEP } from './engine-store.js';
import { isDelayedQuality, type DriftObservation } from './model.js';

/**
 * The points of one evaluation step as windows — one list per model version, window end and
 * stream (live windows, or settled delayed quality: evaluated apart) — by window end.
 */
export function windowsInOrder(observations: readonly DriftObservation[]): DriftObservation[][] {
  const windows = new Map<string, DriftObservation[]>();
  let last: DriftObservation | undefined;
  let list: DriftObservation[] = [];
  let lastDelayed = false;
  for (const o of observations) {
    const delayed = isDelayedQuality(o.method);
    // Points come window by window: a key is built only where the window changes.
    if (
      !last ||
      o.windowEnd !== last.windowEnd ||
      o.model !== last.model ||
      o.modelVersion !== last.modelVersion ||
      delayed !== lastDelayed
    ) {
      const stream = delayed ? 'd' : 'w';
      const key = `${stream}${SEP}${o.model}${SEP}${o.modelVersion}${SEP}${o.windowEnd}`;
      const known = windows.get(key);
      if (known) list = known;
      else windows.set(key, (list = []));
    }
    list.push(o);
    last = o;
    lastDelayed = delayed;
  }
  return [...windows.values()].sort((a, b) => (a[0]?.windowEnd ?? 0) - (b[0]?.windowEnd ?? 0));
}
