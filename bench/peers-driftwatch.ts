/**
 * The driftwatch side of `npm run bench:peers`: a baseline built as `driftwatch baseline build`
 * builds it (and loaded through the same parser as a file), then every window's values fed
 * into the window aggregates and decided by `evaluateWindow` with the default settings, as
 * the daemon's stages do (FeedMode says how the values arrive).
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
import {
  CategoricalAggregate,
  NumericAggregate,
  type FeatureAggregate,
} from '../detectors/index.js';
import { CATEGORICAL, WINDOW_EVENTS, type PeersData } from './peers-data.js';
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

/**
 * How the windows' values reach the aggregates: `columns` — each feature's values added to its
 * aggregate as an array (NumericAggregate.addAll), as the peers get theirs, and the window
 * rebuilt from the aggregates as stage 2 rebuilds a decoded one; `events` — event by event
 * through Window.add, the daemon's stage 1; `handOver` — events, then the window encoded as a
 * partial and decoded again, as between the stages (no Kafka).
 */
export type FeedMode = 'columns' | 'events' | 'handOver';

export function byColumns(baseline: Baseline, data: PeersData, w: number): Window {
  const from = w * WINDOW_EVENTS;
  const aggregates = [...baseline.features].map(([name, reference]): FeatureAggregate => {
    if (reference.kind === 'numeric') {
      const aggregate = new NumericAggregate(reference);
      const column = data.raw.numeric[name as keyof PeersData['raw']['numeric']].current;
      aggregate.addAll(column.subarray(from, from + WINDOW_EVENTS));
      return aggregate;
    }
    const aggregate = new CategoricalAggregate(reference);
    const feature = name as keyof typeof CATEGORICAL;
    const codes = data.raw.categorical[feature].current;
    const names = CATEGORICAL[feature].names;
    for (let i = from; i < from + WINDOW_EVENTS; i++) aggregate.add(names[codes[i]!]);
    return aggregate;
  });
  return Window.restore(
    identity(baseline, w),
    { events: WINDOW_EVENTS, longCategories: 0 },
    aggregates,
  );
}

function identity(baseline: Baseline, w: number) {
  return { baseline, model: 'peers', modelVersion: '1', start: w * 60_000, end: (w + 1) * 60_000 };
}

/** Every window's points, in window order: one run of the work being timed. */
function evaluateAll(baseline: Baseline, data: PeersData, mode: FeedMode): WindowPoint[][] {
  return data.windows.map((events, w) => {
    let window: Window;
    if (mode === 'columns') window = byColumns(baseline, data, w);
    else {
      const { start, end } = identity(baseline, w);
      window = new Window(baseline, 'peers', '1', start, end);
      for (let i = 0; i < events.length; i++) window.add(events[i]!, 0, i);
    }
    if (mode === 'handOver') {
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
  opts: { mode: FeedMode; runs: number },
): DriftwatchRun {
  let last: WindowPoint[][] = [];
  const timing = bestOf(() => (last = evaluateAll(baseline, data, opts.mode)), opts.runs);
  const results = last.map((points) =>
    points.filter((p): p is WindowDriftResult => p.kind === 'drift' && p.feature !== '_dataset'),
  );
  return { timing, results };
}

/** The run with the better best time (both computed the same results). */
export function faster(a: DriftwatchRun, b: DriftwatchRun): DriftwatchRun {
  return a.timing.best <= b.timing.best ? a : b;
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
