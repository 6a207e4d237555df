/**
 * `npm run bench:detectors`: speed of the pure statistics in detectors/ against scipy/numpy on
 * the same inputs, in the same run. Prints a table and the issue's targets with PASS/MISS.
 *
 * Inputs are generated here (seeded PRNG, Box–Muller normals; a shifted window), written as raw
 * little-endian float64 files to a temp dir and read by bench/detectors_scipy.py with
 * numpy.fromfile, so both sides see the same numbers; a check line confirms the two sides got
 * the same results (bin counts, D, statistics). Python comes from $DRIFTWATCH_PYTHON, else
 * ~/.cache/driftwatch/pyref/bin/python; without scipy only the driftwatch figures are printed.
 *
 * Reading it: every time is the BEST of N runs after a warm-up, on both sides (time.perf_counter
 * in Python, process.hrtime.bigint here); calls of a few µs are timed in loops and divided.
 * Medians are printed under the table for the targeted rows. ratio = scipy time / driftwatch
 * time ("3.0× faster" means driftwatch takes a third of scipy's time). One core, one thread.
 */
import os from 'node:os';
import path from 'node:path';
import {
  chiSquareContingency,
  chiSquareGoodnessOfFit,
  countIntoBins,
  hellingerDistance,
  jensenShannonDistance,
  ksStatisticSorted,
  sortedCopy,
  ksTwoSample,
  NumericAggregate,
  psi,
  quantileCuts,
  quantileSorted,
  toReferenceSample,
  wassersteinDistance,
  type NumericReference,
} from '../detectors/index.js';
import { uniform53 } from '../scripts/sfc32.js';
import { findPython, runPythonScript, writeRaw } from './python.js';
import { bestOf as time, type Timing } from './timing.js';

const ROOT = path.join(import.meta.dirname, '..');
const say = (s: string) => process.stderr.write(`${s}\n`);

const BIN_VALUES = 10_000_000;
const BASELINE_TRAINING = 100_000;
const REFERENCE_SAMPLE = 10_000; // REFERENCE_SAMPLE_SIZE in src/baseline/file-format.ts
const KS_N = 100_000;
const CATEGORIES = 1_000;

// ---------------------------------------------------------------------------------------------
// Deterministic inputs: sfc32 → 53-bit uniforms → Box–Muller normals.

function normals(n: number, seed: number, mean = 0, sd = 1): Float64Array {
  const u = uniform53(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const t = 2 * Math.PI * u();
    out[i] = mean + sd * r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = mean + sd * r * Math.sin(t);
  }
  return out;
}

/** Category counts: Zipf-like frequencies (s = 1.1), multiplicative noise, every cell >= 1. */
function categoryCounts(total: number, seed: number, tilt: number): Float64Array {
  const u = uniform53(seed);
  const w = Float64Array.from({ length: CATEGORIES }, (_, i) => {
    const drift = 1 + tilt * Math.sin(i / 37);
    return (drift * (0.9 + 0.2 * u())) / (i + 1) ** 1.1;
  });
  const sum = w.reduce((s, x) => s + x, 0);
  return w.map((x) => 1 + Math.round((x / sum) * total));
}

// ---------------------------------------------------------------------------------------------
// The scipy side.

interface PyResult {
  seconds: number;
  value: number | number[];
}
interface PyOutput {
  python: string;
  numpy: string;
  scipy: string;
  results: Record<string, PyResult>;
}

const PYREF = path.join(os.homedir(), '.cache', 'driftwatch', 'pyref', 'bin', 'python');
const PYREF_HINT = `python3 -m venv ~/.cache/driftwatch/pyref && ~/.cache/driftwatch/pyref/bin/pip install scipy==1.17.1 numpy==2.4.6`;

// ---------------------------------------------------------------------------------------------
// Output.

function fmtTime(s: number): string {
  if (s < 1e-3) return `${(s * 1e6).toFixed(s < 1e-5 ? 2 : 1)} µs`;
  if (s < 1) return `${(s * 1e3).toFixed(s < 1e-2 ? 2 : 1)} ms`;
  return `${s.toFixed(2)} s`;
}
const fmtRate = (valuesPerSecond: number) => `${(valuesPerSecond / 1e6).toFixed(1)} M values/s`;
function fmtRatio(scipySeconds: number, ours: number): string {
  const r = scipySeconds / ours;
  return r >= 1 ? `${r.toFixed(1)}× faster` : `${(1 / r).toFixed(1)}× slower`;
}

interface Row {
  what: string;
  /** Seconds per call on our side. */
  ours: Timing;
  /** Values per call, when the row is a throughput (shown as values/s). */
  perCall?: number;
  /** Key of the scipy measurement. */
  py?: string;
  target?: { text: string; pass: (secondsPerCall: number) => boolean };
}

function main(): void {
  const t0 = performance.now();
  say('generating inputs …');
  const training = normals(BASELINE_TRAINING, 1).sort();
  const cuts = quantileCuts(training, 10);
  const binCounts = new Float64Array(cuts.length + 1);
  countIntoBins(cuts, training, binCounts);
  let mean = 0;
  for (const x of training) mean += x / training.length;
  let variance = 0;
  for (const x of training) variance += (x - mean) ** 2 / training.length;
  // As src/baseline/build.ts: mid-point quantiles (i + ½)/K of the training values.
  const referenceValues = Float64Array.from({ length: REFERENCE_SAMPLE }, (_, i) =>
    quantileSorted(training, (i + 0.5) / REFERENCE_SAMPLE),
  );
  const reference: NumericReference = {
    kind: 'numeric',
    cuts,
    binCounts,
    count: training.length,
    std: Math.sqrt(variance),
    sample: toReferenceSample(referenceValues),
  };
  const values = normals(BIN_VALUES, 2, 0.25, 1.1);

  const ksBaseline = normals(KS_N, 3).sort(); // pre-sorted, as the daemon keeps it
  const ksWindow = normals(KS_N, 4, 0.05, 1.05);
  const exactA = normals(10_000, 5);
  const exactB = normals(9_999, 6, 0.03);

  const refCounts = categoryCounts(1_000_000, 7, 0);
  const curCounts = categoryCounts(100_000, 8, 0.15);
  const curTotal = curCounts.reduce((s, x) => s + x, 0);
  const refTotal = refCounts.reduce((s, x) => s + x, 0);
  const expected = refCounts.map((x) => (x / refTotal) * curTotal);

  // ------------------------------------------------------------------------------------------
  const ourValues: Record<string, number | number[]> = {};
  const rows: Row[] = [];
  const sub = (name: string) => say(`  ${name}`);
  say('driftwatch …');

  sub('countIntoBins');
  const counts = new Float64Array(cuts.length + 1);
  const binning = time(
    () => {
      counts.fill(0);
      countIntoBins(cuts, values, counts);
    },
    9,
    1,
    2,
  );
  ourValues.bins = [...counts];
  rows.push({
    what: `bin ${BIN_VALUES / 1e6}M values, ${cuts.length} decile cuts (countIntoBins)`,
    ours: binning,
    perCall: BIN_VALUES,
    py: 'bins',
    target: {
      text: '>= 50 M values/s',
      pass: (s) => BIN_VALUES / s >= 50e6,
    },
  });

  sub('NumericAggregate.addAll');
  const aggregate = time(() => new NumericAggregate(reference).addAll(values), 3, 1, 1);
  rows.push({
    what: `NumericAggregate.addAll ${BIN_VALUES / 1e6}M (bins+moments+KS cells)`,
    ours: aggregate,
    perCall: BIN_VALUES,
  });

  sub('KS statistic');
  let d = 0;
  const ksStat = time(() => (d = ksStatisticSorted(ksBaseline, sortedCopy(ksWindow))), 25);
  rows.push({
    what: 'KS D, 100k window (copy + sort) vs sorted 100k',
    ours: ksStat,
    py: 'ks_100k',
    target: { text: '<= 15 ms', pass: (s) => s <= 15e-3 },
  });
  const ksFull = time(() => ksTwoSample(ksBaseline, ksWindow), 25);
  const ks = ksTwoSample(ksBaseline, ksWindow);
  ourValues.ks_100k = [d, ks.pValue];
  if (ks.statistic !== d) say(`ksTwoSample D ${ks.statistic} != ksStatisticSorted D ${d}`);
  rows.push({
    what: `ksTwoSample 100k vs 100k (2 sorts + ${ks.method} p)`,
    ours: ksFull,
    py: 'ks_100k',
  });

  sub('chi-square, PSI, JS, Hellinger');
  const micro = (fn: () => number) => time(fn, 25, 200, 500);
  const contingency = chiSquareContingency([refCounts, curCounts]);
  ourValues.chi2_contingency = [contingency.statistic, contingency.pValue];
  const gof = chiSquareGoodnessOfFit(curCounts, expected);
  ourValues.chisquare = [gof.statistic, gof.pValue];
  ourValues.psi = psi(refCounts, curCounts);
  ourValues.jensenshannon = jensenShannonDistance(refCounts, curCounts, { base: 2 });
  ourValues.hellinger = hellingerDistance(refCounts, curCounts);
  const microTarget = { text: '< 1 ms (µs)', pass: (s: number) => s < 1e-3 };
  rows.push(
    {
      what: `chiSquareContingency 2×${CATEGORIES}`,
      ours: micro(() => chiSquareContingency([refCounts, curCounts]).statistic),
      py: 'chi2_contingency',
      target: microTarget,
    },
    {
      what: `chiSquareGoodnessOfFit ${CATEGORIES}`,
      ours: micro(() => chiSquareGoodnessOfFit(curCounts, expected).statistic),
      py: 'chisquare',
      target: microTarget,
    },
    {
      what: `psi ${CATEGORIES} (numpy formula)`,
      ours: micro(() => psi(refCounts, curCounts)),
      py: 'psi',
      target: microTarget,
    },
    {
      what: `jensenShannonDistance ${CATEGORIES}, base 2`,
      ours: micro(() => jensenShannonDistance(refCounts, curCounts, { base: 2 })),
      py: 'jensenshannon',
    },
    {
      what: `hellingerDistance ${CATEGORIES} (numpy formula)`,
      ours: micro(() => hellingerDistance(refCounts, curCounts)),
      py: 'hellinger',
    },
  );

  sub('KS exact');
  const exact = ksTwoSample(exactA, exactB, { method: 'exact' });
  ourValues.ks_exact = [exact.statistic, exact.pValue];
  rows.push({
    what: `ksTwoSample exact, 10,000 vs 9,999 (${exact.method})`,
    ours: time(() => ksTwoSample(exactA, exactB, { method: 'exact' }), 5, 1, 1),
    py: 'ks_exact',
  });

  sub('Wasserstein');
  ourValues.wasserstein = wassersteinDistance(ksBaseline, ksWindow);
  rows.push({
    what: 'wassersteinDistance 100k vs 100k',
    ours: time(() => wassersteinDistance(ksBaseline, ksWindow), 25),
    py: 'wasserstein',
  });

  // ------------------------------------------------------------------------------------------
  let py: PyOutput | undefined;
  let pyNote = '';
  const found = findPython({
    defaultPython: PYREF,
    probe: 'import numpy, scipy.stats',
    needs: 'numpy and scipy',
  });
  if ('missing' in found) {
    pyNote = `scipy comparison skipped (${found.missing}); to get it:\n  ${PYREF_HINT}\n  (or point $DRIFTWATCH_PYTHON at a python with scipy and numpy)`;
  } else {
    const inputs: Record<string, Float64Array> = {
      cuts,
      values,
      ks_baseline: ksBaseline,
      ks_window: ksWindow,
      exact_a: exactA,
      exact_b: exactB,
      ref_counts: refCounts,
      cur_counts: curCounts,
      expected,
    };
    say(`scipy (${found.python}) …`);
    const run = runPythonScript<PyOutput>(
      found.python,
      path.join(ROOT, 'bench', 'detectors_scipy.py'),
      (dir) => {
        for (const [name, v] of Object.entries(inputs)) writeRaw(dir, name, v);
      },
    );
    if ('ok' in run) py = run.ok;
    else pyNote = `scipy side failed (${run.failed}); figures are driftwatch only`;
  }

  // ------------------------------------------------------------------------------------------
  const table = rows.map((row) => {
    const show = (t: Timing | number) => {
      const s = typeof t === 'number' ? t : t.best;
      return row.perCall ? fmtRate(row.perCall / s) : fmtTime(s);
    };
    const theirs = row.py ? py?.results[row.py]?.seconds : undefined;
    return [
      row.what,
      show(row.ours),
      theirs === undefined ? '—' : show(theirs),
      theirs === undefined ? '—' : fmtRatio(theirs, row.ours.best),
      row.target?.text ?? '—',
      row.target ? (row.target.pass(row.ours.best) ? 'PASS' : 'MISS') : '',
    ];
  });
  const header = ['what', 'driftwatch', 'scipy', 'ratio', 'target', 'verdict'];
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  const out: string[] = [];
  out.push(
    `\ndetectors bench, node ${process.version}, ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)}` +
      (py ? `; python ${py.python}, numpy ${py.numpy}, scipy ${py.scipy}` : ''),
  );
  out.push(
    py
      ? 'best of N after warm-up, both sides; ratio = scipy time / driftwatch time\n'
      : 'best of N after warm-up\n',
  );
  out.push(line(header), line(widths.map((w) => '-'.repeat(w))), ...table.map(line));
  out.push('');
  for (const row of rows.filter((r) => r.target)) {
    const m = row.perCall ? fmtRate(row.perCall / row.ours.median) : fmtTime(row.ours.median);
    out.push(
      `median, ${row.what}: ${m}${row.target!.pass(row.ours.median) ? '' : ' (MISS on the median)'}`,
    );
  }
  out.push(
    `KS 100k vs 100k: D = ${d.toFixed(5)}, p = ${ks.pValue.toExponential(2)} (${ks.method}); ` +
      `10,000 vs 9,999: D = ${exact.statistic.toFixed(5)}, p = ${exact.pValue.toFixed(4)} (${exact.method})`,
  );
  out.push('');
  if (py) out.push(agreement(ourValues, py.results));
  else out.push(pyNote);
  out.push(`(whole run ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** One line confirming both sides computed the same things from the same inputs. */
function agreement(
  ours: Record<string, number | number[]>,
  theirs: Record<string, PyResult>,
): string {
  let worst = 0;
  let worstName = '';
  const off: string[] = [];
  for (const [name, mine] of Object.entries(ours)) {
    const a = typeof mine === 'number' ? [mine] : mine;
    const value = theirs[name]?.value;
    if (value === undefined) continue;
    const b = typeof value === 'number' ? [value] : value;
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!;
      const y = b[i]!;
      const rel = x === y ? 0 : Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y));
      if (rel > worst) [worst, worstName] = [rel, name];
      if (!(rel <= 1e-9)) off.push(`${name}[${i}] ${x} vs ${y}`);
    }
  }
  return off.length === 0
    ? `same results on both sides (bin counts, KS D and p, statistics): largest relative difference ${worst.toExponential(1)}${worstName ? ` (${worstName})` : ''}`
    : `RESULTS DIFFER (relative > 1e-9), check the inputs: ${off.join('; ')}`;
}

try {
  main();
} catch (err: unknown) {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
