/**
 * `npm run bench:peers`: driftwatch's detectors against the Python drift libraries on the same
 * windows, in one run (issue 13, goal 6). 12 windows of 3,000 events, 4 numeric + 2
 * categorical features, a baseline of 50,000 training rows (bench/peers-data.ts).
 *
 * driftwatch: the daemon's own code in this process — the baseline as `baseline build` makes
 * it with its defaults, the window aggregates, evaluateWindow with the default drift settings
 * (bench/peers-driftwatch.ts) — with the values fed three ways: by column (as the peers get
 * theirs; the goals' figure), event by event (stage 1's Window.add), and event by event plus
 * the hand-over between the stages (partial encoded and decoded). The peers
 * (bench/peers.py): Evidently, NannyML, alibi-detect,
 * from a venv this bench does not install (the command is printed when it is missing; the
 * driftwatch figures are printed either way). Inputs go over as raw little-endian files.
 *
 * Reading it: every time is the best of N runs after a warm-up, on both sides (driftwatch is
 * timed before and after the peers, the better kept: a shared machine's load drifts); events/s
 * = 36,000 / seconds for all 12 windows; ratio = driftwatch events/s / the peer's. The agreement
 * lines check that where two sides compute the same thing they get the same numbers; the notes
 * say where a peer computes something else.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CATEGORICAL,
  NUMERIC,
  TRAINING_ROWS,
  WINDOWS,
  WINDOW_EVENTS,
  peersData,
  type PeersData,
} from './peers-data.js';
import { faster, peersBaseline, timeDriftwatch, type DriftwatchRun } from './peers-driftwatch.js';
import { agreementLines, DIFFERENCES, type PeersOutput } from './peers-agreement.js';
import { breakdown } from './peers-breakdown.js';
import { findPython, runPythonScript, writeRaw } from './python.js';
import { runBench, say } from './run.js';

const ROOT = path.join(import.meta.dirname, '..');
const VENV = path.join(os.homedir(), '.cache', 'driftwatch', 'peers-venv');
const INSTALL_HINT =
  'python3.11 -m venv ~/.cache/driftwatch/peers-venv && ~/.cache/driftwatch/peers-venv/bin/pip install -r bench/peers-requirements.txt';
const EVENTS = WINDOWS * WINDOW_EVENTS;
const RUNS = { driftwatch: 30, evidently: 3, nannyml: 15, alibi: 10 };
const GOALS = { evidently: 100, nannyml: 3, alibi: 3 } as const;
type Peer = keyof typeof GOALS;
const PEERS = Object.keys(GOALS) as Peer[];
const PEER_LABELS: Record<Peer, string> = {
  evidently: 'Evidently: a Report per window (ValueDrift ks+psi, chisquare+psi)',
  nannyml: 'NannyML: UnivariateDriftCalculator.calculate (ks, chi2)',
  alibi: 'alibi-detect: KSDrift + ChiSquareDrift predict per window',
};

const rate = (seconds: number) => EVENTS / seconds;
function fmtRate(eventsPerSecond: number): string {
  return eventsPerSecond >= 1e6
    ? `${(eventsPerSecond / 1e6).toFixed(2)} M events/s`
    : `${(eventsPerSecond / 1e3).toFixed(1)} k events/s`;
}
const fmtSeconds = (s: number) => (s < 1 ? `${(s * 1e3).toFixed(1)} ms` : `${s.toFixed(2)} s`);

function runPeers(data: PeersData): { out: PeersOutput } | { note: string } {
  const found = findPython({
    defaultPython: path.join(VENV, 'bin', 'python'),
    probe: 'import evidently, nannyml, alibi_detect, scipy, pandas',
    needs: 'evidently, nannyml and alibi_detect',
  });
  if ('missing' in found) {
    return {
      note:
        `peers skipped (${found.missing}); to get them (Python 3.11, about 3 GB):\n  ${INSTALL_HINT}\n` +
        '  (or point $DRIFTWATCH_PYTHON at a python with those packages)',
    };
  }
  say(`peers (${found.python}), a minute or two …`);
  const meta = {
    numeric: NUMERIC,
    categorical: Object.fromEntries(Object.entries(CATEGORICAL).map(([f, c]) => [f, c.names])),
    windows: WINDOWS,
    window_events: WINDOW_EVENTS,
    runs: RUNS,
  };
  const run = runPythonScript<PeersOutput>(
    found.python,
    path.join(ROOT, 'bench', 'peers.py'),
    (dir) => {
      writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta));
      const columns: [
        string,
        { reference: Float64Array | Int32Array; current: Float64Array | Int32Array },
      ][] = [...Object.entries(data.raw.numeric), ...Object.entries(data.raw.categorical)];
      for (const [f, v] of columns) {
        writeRaw(dir, `ref_${f}`, v.reference);
        writeRaw(dir, `cur_${f}`, v.current);
      }
    },
  );
  return 'ok' in run ? { out: run.ok } : { note: `the Python side failed (${run.failed})` };
}

function table(rows: string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((cells) =>
    cells
      .map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** The goals as a table: one column per way of feeding driftwatch the windows. */
function goalLines(runs: Record<string, DriftwatchRun>, out: PeersOutput): string[] {
  const rows = [['goal (driftwatch defaults / peer)', ...Object.keys(runs)]];
  for (const peer of PEERS) {
    const theirs = out.peers[peer];
    if (theirs === undefined) continue;
    rows.push([
      `≥ ${GOALS[peer]}× ${peer}`,
      ...Object.values(runs).map((run) => {
        const ratio = theirs.seconds / run.timing.best;
        // Rounded down, so a ratio just short of its goal never reads as the goal.
        const shown = ratio < 10 ? (Math.floor(ratio * 100) / 100).toFixed(2) : Math.floor(ratio);
        return `${shown}× ${ratio >= GOALS[peer] ? 'PASS' : 'MISS'}`;
      }),
    ]);
  }
  return table(rows);
}

function main(): Promise<void> {
  const t0 = performance.now();
  say('generating data …');
  const data = peersData();
  say('driftwatch …');
  const built = performance.now();
  const baseline = peersBaseline(data);
  const buildSeconds = (performance.now() - built) / 1000;
  const fullColumn = peersBaseline(data, TRAINING_ROWS);
  const timeAll = () => ({
    defaults: timeDriftwatch(baseline, data, { mode: 'columns', runs: RUNS.driftwatch }),
    events: timeDriftwatch(baseline, data, { mode: 'events', runs: RUNS.driftwatch }),
    handOver: timeDriftwatch(baseline, data, { mode: 'handOver', runs: RUNS.driftwatch }),
    fullColumn: timeDriftwatch(fullColumn, data, { mode: 'columns', runs: RUNS.driftwatch }),
  });
  const first = timeAll();
  const peers = runPeers(data);
  // Timed again after the peers, the better of the two kept: the load of a shared machine
  // drifts over the minute the peers take.
  say('driftwatch again …');
  const again = timeAll();
  const runs = {
    defaults: faster(first.defaults, again.defaults),
    events: faster(first.events, again.events),
    handOver: faster(first.handOver, again.handOver),
    fullColumn: faster(first.fullColumn, again.fullColumn),
  };
  const out = 'out' in peers ? peers.out : undefined;

  const lines: string[] = [];
  const versions = out
    ? `; python ${out.python}, ${Object.entries(out.versions)
        .map(([k, v]) => `${k} ${v ?? '—'}`)
        .join(', ')}`
    : '';
  lines.push(
    `\npeers bench, node ${process.version}, ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)}${versions}`,
    `${EVENTS.toLocaleString('en-US')} events = ${WINDOWS} windows × ${WINDOW_EVENTS.toLocaleString('en-US')}, ${NUMERIC.length} numeric + ${Object.keys(CATEGORICAL).length} categorical features, baseline of ${data.training[NUMERIC[0]]!.length.toLocaleString('en-US')} training rows`,
    'best of N runs after a warm-up, both sides; events/s = events / seconds for all windows\n',
  );
  const rows = [['what', 'seconds', 'events/s', 'median']];
  const dw = (what: string, r: DriftwatchRun) =>
    rows.push([
      what,
      fmtSeconds(r.timing.best),
      fmtRate(rate(r.timing.best)),
      fmtRate(rate(r.timing.median)),
    ]);
  dw('driftwatch defaults: by column → aggregates → evaluateWindow', runs.defaults);
  dw('driftwatch defaults: event by event (Window.add)', runs.events);
  dw('driftwatch defaults: events + stage hand-over (partial codec)', runs.handOver);
  dw(`driftwatch, baseline --sample-size ${TRAINING_ROWS}: by column`, runs.fullColumn);
  for (const peer of PEERS) {
    const p = out?.peers[peer];
    if (p)
      rows.push([
        PEER_LABELS[peer],
        fmtSeconds(p.seconds),
        fmtRate(rate(p.seconds)),
        fmtRate(rate(p.median)),
      ]);
  }
  lines.push(...table(rows), '');
  const parts = breakdown(baseline, data, RUNS.driftwatch);
  lines.push(
    `where driftwatch's time goes (by column, each part timed alone): aggregates ${fmtSeconds(parts.aggregates)}, ` +
      `KS statistics ${fmtSeconds(parts.ksStatistic)}, KS p-values ${fmtSeconds(parts.ksPValue)} ` +
      `(${parts.oneSidedSums} of ${parts.ksTests} by the one-sided sum of scipy's asymptotic law, ` +
      `about n_eff terms each), the rest of the evaluation ${fmtSeconds(parts.rest)}`,
  );
  const fits = [`driftwatch baseline build ${fmtSeconds(buildSeconds)} (once)`];
  if (out?.peers.nannyml) fits.push(`NannyML fit ${fmtSeconds(out.peers.nannyml.fit_seconds)}`);
  if (out?.peers.alibi)
    fits.push(`alibi-detect detectors built ${fmtSeconds(out.peers.alibi.fit_seconds)}`);
  lines.push(`not timed above: ${fits.join(', ')}\n`);
  if (out) {
    const ways = {
      'by column': runs.defaults,
      'by event': runs.events,
      '+ hand-over': runs.handOver,
    };
    lines.push(...goalLines(ways, out), '');
    for (const [peer, why] of Object.entries(out.missing)) lines.push(`${peer} missing: ${why}`);
    lines.push(...agreementLines(runs, out), '', ...DIFFERENCES);
  } else {
    lines.push(('note' in peers ? peers.note : '') + '\n');
  }
  lines.push(`(whole run ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return Promise.resolve();
}

runBench(main);
