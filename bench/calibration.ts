/**
 * `npm run bench:calibration`: how often each DEFAULT drift decision fires when nothing
 * drifted (false-alarm rate, target α) and when something did (power), measured through the
 * daemon's own path: a baseline built as `driftwatch baseline build` builds it (50,000 training
 * rows, default bins and reference sample), written to a baseline file and loaded back, then
 * windows of fresh draws fed event by event into a `Window` and decided by `evaluateWindow`
 * with the settings a config file without a `drift` section gets. Seeded: every run prints the
 * same table.
 *
 * Distributions (one latent standard normal z per value, so "a shift of δσ" means z + δ for
 * every kind): normal z; lognormal exp(z); heavy ties max(0, round(3 + 2z)) (about 12 distinct
 * counts, per-value bins); categorical: z cut into 12 categories, the rarest at 0.26 %.
 *
 * Reading it: `false alarm` is the share of no-drift windows where the method said drifted,
 * ± its Monte-Carlo standard error √(p(1−p)/W); `ok?` says whether it lies in [0.5α, 1.2α]
 * (PSI: at most 1.2α, see README "What the defaults guarantee"). `insuff.` is the share of
 * windows where the method reported insufficient_data. The power columns are the share of
 * shifted windows flagged. `ks (full column)` is KS against all 50,000 training values (a
 * baseline built with --sample-size 50000): the power the default must not fall below.
 *
 * Options: --windows N (default 1000 per cell), --quick (200 windows, no 5,000-value cells).
 * Run it under `nice -n 19` on a shared machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildBaseline, writeBaselineFile } from '../src/baseline/build.js';
import type { Baseline } from '../src/baseline/baseline.js';
import { loadBaselineFile } from '../src/baseline/load-file.js';
import { configSchema } from '../src/config/schema.js';
import { Window } from '../src/windows/window.js';
import {
  driftSettingsFrom,
  evaluateWindow,
  type WindowDriftResult,
  type WindowDriftSettings,
} from '../src/drift/window-points.js';
import { uniform53 } from '../scripts/sfc32.js';

const say = (s: string) => process.stdout.write(`${s}\n`);
const { values: args } = parseArgs({
  options: { windows: { type: 'string' }, quick: { type: 'boolean', default: false } },
});
const WINDOWS = Number(args.windows ?? (args.quick ? 200 : 1000));
const SIZES = args.quick ? [30, 100, 1_000] : [30, 100, 1_000, 5_000];
const SHIFTS = [0.05, 0.1, 0.2];
const TRAINING_ROWS = 50_000;
const FAMILY_FEATURES = 50;
const FAMILY_N = 1_000;

// ---------------------------------------------------------------------------------------------
// Seeded draws.

/** Standard normals (Box–Muller over sfc32 uniforms), one stream per seed. */
function normalStream(seed: number): () => number {
  const u = uniform53(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const t = 2 * Math.PI * u();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
}

type Kind = 'normal' | 'lognormal' | 'heavy_ties' | 'categorical';
const KINDS: readonly Kind[] = ['normal', 'lognormal', 'heavy_ties', 'categorical'];
const CATEGORY_CUTS = [-1.5, -1, -0.5, 0, 0.4, 0.8, 1.2, 1.6, 2.0, 2.4, 2.8];

function valueOf(kind: Kind, z: number): number | string {
  switch (kind) {
    case 'normal':
      return z;
    case 'lognormal':
      return Math.exp(z);
    case 'heavy_ties':
      return Math.max(0, Math.round(3 + 2 * z));
    case 'categorical': {
      let k = 0;
      while (k < CATEGORY_CUTS.length && z >= (CATEGORY_CUTS[k] as number)) k++;
      return `c${k}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Baselines, as the CLI builds them, through a file.

async function baselineOf(
  dir: string,
  name: string,
  columns: Record<string, (number | string)[]>,
  sampleSize?: number,
): Promise<Baseline> {
  const file = buildBaseline(columns, {
    model: name,
    modelVersion: '1',
    sourceFile: 'train.csv',
    createdAt: new Date(0),
    ...(sampleSize === undefined ? {} : { sampleSize }),
  });
  return loadBaselineFile(writeBaselineFile(dir, file));
}

function trainingColumn(kind: Kind, seed: number): (number | string)[] {
  const z = normalStream(seed);
  return Array.from({ length: TRAINING_ROWS }, () => valueOf(kind, z()));
}

/** The settings a config file without a `drift` section runs with. */
function defaultSettings(): WindowDriftSettings {
  const config = configSchema.parse({
    kafka: { brokers: ['localhost:9092'], topic: 'in', deadLetterTopic: 'dlq' },
    influx: { url: 'http://localhost:8086', org: 'o', bucket: 'b' },
    baselines: { dir: '.' },
  });
  return driftSettingsFrom(config.drift);
}

// ---------------------------------------------------------------------------------------------
// Windows.

/** One window of n events against each baseline given, every feature drawn from its kind. */
function fillWindows(
  baselines: readonly Baseline[],
  features: readonly { name: string; kind: Kind }[],
  n: number,
  shift: number,
  z: () => number,
): Window[] {
  const windows = baselines.map((b) => new Window(b, b.model, '1', 0, 60_000));
  for (let i = 0; i < n; i++) {
    const values: Record<string, number | string> = {};
    for (const f of features) values[f.name] = valueOf(f.kind, z() + shift);
    const log = { model: 'm', model_version: '1', timestamp: i, features: values };
    for (const w of windows) w.add(log, 0, i);
  }
  return windows;
}

const evaluated = new WeakMap<Window, Map<WindowDriftSettings, WindowDriftResult[]>>();

/** The window's drift points under these settings (each evaluated once per window). */
function driftOf(w: Window, settings: WindowDriftSettings): WindowDriftResult[] {
  let bySettings = evaluated.get(w);
  if (!bySettings)
    evaluated.set(w, (bySettings = new Map<WindowDriftSettings, WindowDriftResult[]>()));
  let results = bySettings.get(settings);
  if (!results) {
    results = evaluateWindow(w, settings).filter((p): p is WindowDriftResult => p.kind === 'drift');
    bySettings.set(settings, results);
  }
  return results;
}

interface Tally {
  windows: number;
  flagged: number;
  insufficient: number;
}
const tally = (): Tally => ({ windows: 0, flagged: 0, insufficient: 0 });

function count(t: Tally, r: WindowDriftResult | undefined, warning = false): void {
  t.windows++;
  if (r === undefined) return;
  if (warning ? r.warning : r.drifted) t.flagged++;
  if (r.status === 'insufficient_data') t.insufficient++;
}

const rate = (t: Tally, k: 'flagged' | 'insufficient' = 'flagged') =>
  t.windows === 0 ? NaN : t[k] / t.windows;
const se = (p: number, w: number) => Math.sqrt((p * (1 - p)) / w);
const pct = (p: number, digits = 1) => (Number.isNaN(p) ? '—' : `${(100 * p).toFixed(digits)}%`);

// ---------------------------------------------------------------------------------------------

interface Row {
  kind: Kind;
  n: number;
  label: string;
  target: string;
  alarm: Tally;
  power: Tally[];
  check: (p: number) => boolean;
  /** The result this row counts, from the default and the full-column window. */
  pick: (own: Window, full: Window | undefined) => WindowDriftResult | undefined;
  warning?: boolean;
}

function alphaCheck(alpha: number): (p: number) => boolean {
  return (p) => p >= 0.5 * alpha && p <= 1.2 * alpha;
}

async function main(): Promise<void> {
  const started = Date.now();
  const settings = defaultSettings();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-calibration-'));
  try {
    say(
      `driftwatch calibration: ${WINDOWS} windows per cell, ${TRAINING_ROWS.toLocaleString('en-US')} training rows, default settings (correction ${settings.correction}, ksMethod ${settings.ksMethod}, minSamples ${settings.minSamples}, PSI ${settings.thresholds.psi}/${settings.thresholds.psiWarning}, α ${settings.thresholds.ks})`,
    );
    const rows: Row[] = [];
    for (const [ki, kind] of KINDS.entries()) {
      const column = trainingColumn(kind, 1000 + ki);
      const sketch = await baselineOf(dir, `sketch-${kind}`, { x: column });
      const numeric = kind !== 'categorical';
      const full = numeric
        ? await baselineOf(dir, `full-${kind}`, { x: column }, TRAINING_ROWS)
        : undefined;
      const baselines = full ? [sketch, full] : [sketch];
      const methods = numeric ? settings.numericMethods : settings.categoricalMethods;
      const alpha = settings.thresholds.ks;
      const testTarget = `α = ${alpha}`;
      const resultOf = (w: Window | undefined, method: string, s = settings) =>
        w && driftOf(w, s).find((r) => r.feature === 'x' && r.method === method);
      // Opt-in, not a default: chi-square over the pooled per-value bins of a count feature.
      const chiSettings: WindowDriftSettings = { ...settings, numericMethods: ['chi_square'] };
      for (const n of SIZES) {
        const cell = (
          label: string,
          target: string,
          check: (p: number) => boolean,
          pick: Row['pick'],
          warning = false,
        ): Row => ({
          kind,
          n,
          label,
          target,
          alarm: tally(),
          power: SHIFTS.map(tally),
          check,
          pick,
          warning,
        });
        // PSI is an effect size: at most α (1.2α, the tests' bound, for Monte-Carlo error).
        const atMostAlpha = (p: number) => p <= 1.2 * alpha;
        const cells = methods.map((m) =>
          m === 'psi'
            ? cell('psi', '≤ α', atMostAlpha, (own) => resultOf(own, 'psi'))
            : cell(m, testTarget, alphaCheck(alpha), (own) => resultOf(own, m)),
        );
        if (methods.includes('psi')) {
          cells.push(cell('psi warning', '≤ α', atMostAlpha, (own) => resultOf(own, 'psi'), true));
        }
        if (full) {
          const ks = (_: Window, f: Window | undefined) => resultOf(f, 'ks');
          cells.push(cell('ks (full column)', testTarget, alphaCheck(alpha), ks));
        }
        if (kind === 'heavy_ties') {
          const chi = (own: Window) => resultOf(own, 'chi_square', chiSettings);
          cells.push(cell('chi_square (opt)', testTarget, alphaCheck(alpha), chi));
        }
        for (const [si, shift] of [0, ...SHIFTS].entries()) {
          const z = normalStream(7919 * (ki + 1) + 104_729 * n + si);
          for (let w = 0; w < WINDOWS; w++) {
            const [own, other] = fillWindows(baselines, [{ name: 'x', kind }], n, shift, z);
            for (const row of cells) {
              const t = si === 0 ? row.alarm : (row.power[si - 1] as Tally);
              count(t, row.pick(own as Window, other), row.warning);
            }
          }
        }
        rows.push(...cells);
        process.stderr.write(
          `  ${kind} n=${n} done (${Math.round((Date.now() - started) / 1000)} s)\n`,
        );
      }
    }
    printTable(rows);
    await family(dir, settings);
    say(`\n(${Math.round((Date.now() - started) / 1000)} s)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function printTable(rows: readonly Row[]): void {
  say('');
  say(
    [
      'distribution'.padEnd(12),
      'n'.padStart(5),
      'method'.padEnd(17),
      'target'.padEnd(9),
      'false alarm ± se'.padEnd(17),
      'ok?'.padEnd(4),
      'insuff.'.padStart(7),
      ...SHIFTS.map((s) => `δ=${s}σ`.padStart(8)),
    ].join('  '),
  );
  for (const r of rows) {
    const p = rate(r.alarm);
    say(
      [
        r.kind.padEnd(12),
        String(r.n).padStart(5),
        r.label.padEnd(17),
        r.target.padEnd(9),
        `${pct(p, 2)} ± ${pct(se(p, r.alarm.windows), 2)}`.padEnd(17),
        (r.check(p) ? 'yes' : 'NO').padEnd(4),
        pct(rate(r.alarm, 'insufficient')).padStart(7),
        ...r.power.map((t) => pct(rate(t)).padStart(8)),
      ].join('  '),
    );
  }
}

/** 50 independent no-drift features per window: how often does ANY feature say drifted? */
async function family(dir: string, settings: WindowDriftSettings): Promise<void> {
  const features = Array.from({ length: FAMILY_FEATURES }, (_, i) => ({
    name: `f${String(i).padStart(2, '0')}`,
    kind: KINDS[i % KINDS.length] as Kind,
  }));
  const columns = Object.fromEntries(
    features.map((f, i) => [f.name, trainingColumn(f.kind, 5000 + i)]),
  );
  const baseline = await baselineOf(dir, 'family', columns);
  const z = normalStream(31_337);
  const any = tally();
  const datasetDrift = tally();
  const windows = Math.max(200, Math.round(WINDOWS / 2));
  for (let w = 0; w < windows; w++) {
    const [window] = fillWindows([baseline], features, FAMILY_N, 0, z);
    const results = window && driftOf(window, settings);
    any.windows++;
    datasetDrift.windows++;
    if (results?.some((r) => r.feature !== '_dataset' && r.drifted)) any.flagged++;
    if (results?.some((r) => r.feature === '_dataset' && r.drifted)) datasetDrift.flagged++;
  }
  const p = rate(any);
  say('');
  say(
    `${FAMILY_FEATURES} no-drift features per window (n = ${FAMILY_N}, ${windows} windows, correction ${settings.correction}):`,
  );
  say(
    `  windows with any feature drifted: ${pct(p, 2)} ± ${pct(se(p, any.windows), 2)} (target α = ${settings.thresholds.ks}: ${alphaCheck(settings.thresholds.ks)(p) ? 'yes' : 'NO'}); dataset drift: ${pct(rate(datasetDrift), 2)}`,
  );
}

await main();
