/**
 * The driftwatch side of `npm run bench:peers`: a baseline built as `driftwatch baseline build`
 * builds it (and loaded through the same parser as a file), then every window's events fed
 * into a `Window` and decided by `evaluateWindow` with the default settings, as the daemon's
 * stages do. `handOver` adds what lies between the two stages when they share no process:
 * the window encoded as a partial and decoded again (no Kafka), so the statistics run on the
 * cells a decoded partial holds.
 */
import { buildBaseline } from '../src/baseline/build.js';
import { toBaseline, type Baseline } from '../src/baseline/baseline.js';
import { parseBaselineBytes } from '../src/baseline/load-file.js';
import {
  DEFAULT_WINDOW_DRIFT_SETTINGS,
  evaluateWindow,
  type WindowDriftResult,
  type WindowPoint,
} from '../src/drift/window-points.js';
import { decodePartialsRecord, encodePartial } from '../src/partials/codec.js';
import { Window } from '../src/windows/window.js';
import type { PeersData } from './peers-data.js';
import { bestOf, type Timing } from './timing.js';

export function peersBaseline(data: PeersData, sampleSize?: number): Baseline {
  const file = buildBaseline(data.training, {
    model: 'peers',
    modelVersion: '1',
    sourceFile: 'training.csv',
    createdAt: new Date(0),
    ...(sampleSize === undefined ? {} : { sampleSize }),
  });
  const { parsed, hash } = parseBaselineBytes(Buffer.from(JSON.stringify(file)), 'peers.json');
  return toBaseline(parsed, hash, 'peers.json');
}

/** Every window's points, in window order: one run of the work being timed. */
function evaluateAll(
  baseline: Baseline,
  windows: PeersData['windows'],
  handOver: boolean,
): WindowPoint[][] {
  return windows.map((events, w) => {
    let window = new Window(baseline, 'peers', '1', w * 60_000, (w + 1) * 60_000);
    for (let i = 0; i < events.length; i++) window.add(events[i]!, 0, i);
    if (handOver) {
      const record = decodePartialsRecord(encodePartial(window, 0), () => baseline);
      if (record.kind !== 'partial') throw new Error('a partial decoded as progress');
      window = record.window;
    }
    return evaluateWindow(window, DEFAULT_WINDOW_DRIFT_SETTINGS);
  });
}

export interface DriftwatchRun {
  timing: Timing;
  /** Per window, its drift results (summaries and the dataset point left out). */
  results: WindowDriftResult[][];
}

export function timeDriftwatch(
  baseline: Baseline,
  data: PeersData,
  opts: { handOver?: boolean; runs: number },
): DriftwatchRun {
  const handOver = opts.handOver ?? false;
  let last: WindowPoint[][] = [];
  const timing = bestOf(() => (last = evaluateAll(baseline, data.windows, handOver)), opts.runs);
  const results = last.map((points) =>
    points.filter((p): p is WindowDriftResult => p.kind === 'drift' && p.feature !== '_dataset'),
  );
  return { timing, results };
}

/** One result of one window, or an error naming what is missing. */
export function resultOf(
  run: DriftwatchRun,
  window: number,
  feature: string,
  method: string,
): WindowDriftResult {
  const r = run.results[window]?.find((p) => p.feature === feature && p.method === method);
  if (r === undefined) throw new Error(`no ${method} result for ${feature} in window ${window}`);
  return r;
}
