import type { PartialsPartition } from '../../src/evaluate/partials-partition.js';
import type { SourceProgress } from '../../src/partials/codec.js';
import type { PredictionLog } from '../../src/prediction-log/prediction-log.js';
import { Window } from '../../src/windows/window.js';
import { amountBaseline } from './baselines.js';

/** A partials topic partition as stage 2 reads it, for the windows built from panes. */
export type PaneEntry =
  { kind: 'partial'; window: () => Window } | { kind: 'progress'; records: SourceProgress[] };

/** Events of a model in minute m from one of two sources. */
export type Traffic = (m: number, source: number) => number;

export const MINUTE = 60_000;
const baseline = amountBaseline();

/**
 * Per minute, each model's partial of source 0 then source 1 (version `version`; values of
 * `amount` cycling over 0–29), then both sources' progress past the minute. A source without
 * events that minute writes no partial unless `emptyPartials`.
 */
export function paneLog(
  minutes: number,
  models: Record<string, Traffic>,
  { version = '1', emptyPartials = false } = {},
): PaneEntry[] {
  const entries: PaneEntry[] = [];
  for (let m = 0; m < minutes; m++) {
    for (const source of [0, 1]) {
      for (const [model, traffic] of Object.entries(models)) {
        const n = traffic(m, source);
        if (n === 0 && !emptyPartials) continue;
        entries.push({
          kind: 'partial',
          window: () => {
            const w = new Window(baseline, model, version, m * MINUTE, (m + 1) * MINUTE);
            for (let i = 0; i < n; i++) {
              const log: PredictionLog = {
                model,
                model_version: version,
                timestamp: m * MINUTE,
                features: { amount: (i * 7 + m) % 30 },
              };
              w.add(log, source, i);
            }
            return w;
          },
        });
      }
    }
    entries.push({
      kind: 'progress',
      records: [0, 1].map((source) => ({
        source,
        watermark: (m + 1) * MINUTE,
        idle: false,
        idleUntil: 0,
      })),
    });
  }
  return entries;
}

/** Feeds entries [from, to) to q, handing each batch of closed windows to `closed`. */
export function feed(
  q: PartialsPartition,
  log: readonly PaneEntry[],
  from: number,
  to: number,
  closed: (windows: Window[]) => void,
): void {
  for (let offset = from; offset < to; offset++) {
    const e = log[offset];
    if (!e) break;
    if (e.kind === 'partial') q.addPartial(e.window(), offset);
    else q.progress(e.records);
    closed(q.takeClosed(0));
  }
}
