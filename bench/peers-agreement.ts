/**
 * What `npm run bench:peers` prints about the numbers, not the times: where two sides compute
 * the same statistic on the same windows they must agree (to the last bit against scipy, to
 * float32 against alibi-detect), and where a peer computes something else the note says what.
 */
import { CATEGORICAL, NUMERIC, WINDOWS } from './peers-data.js';
import { resultOf, type DriftwatchRun } from './peers-driftwatch.js';

interface PeerTiming {
  seconds: number;
  median: number;
  /** Per feature, per method, one value per window. */
  values: Record<string, Record<string, number[]>>;
}

/** What bench/peers.py prints. */
export interface PeersOutput {
  python: string;
  versions: Record<string, string | null>;
  peers: {
    evidently?: PeerTiming;
    nannyml?: PeerTiming & { fit_seconds: number };
    alibi?: PeerTiming & { fit_seconds: number };
  };
  missing: Record<string, string>;
  /** Per feature, per window: [statistic, p] of ks_2samp / chi2_contingency on the whole column. */
  scipy: Record<string, [number, number][]>;
}

const CATEGORICAL_NAMES = Object.keys(CATEGORICAL);

/** Largest relative and absolute difference over pairs of numbers. */
class Gap {
  rel = 0;
  abs = 0;
  add(a: number, b: number): void {
    const abs = Math.abs(a - b);
    const rel = a === b ? 0 : abs / Math.max(Math.abs(a), Math.abs(b));
    if (rel > this.rel) this.rel = rel;
    if (abs > this.abs) this.abs = abs;
  }
  get relative(): string {
    return this.rel === 0
      ? 'identical'
      : `largest relative difference ${this.rel.toExponential(1)}`;
  }
}

const forEach = (features: readonly string[], fn: (f: string, w: number) => void) => {
  for (const f of features) for (let w = 0; w < WINDOWS; w++) fn(f, w);
};

export function agreementLines(
  runs: { defaults: DriftwatchRun; fullColumn: DriftwatchRun },
  out: PeersOutput,
): string[] {
  const scipy = (f: string, w: number) => out.scipy[f]?.[w] ?? [NaN, NaN];
  const pairs = (features: readonly string[]) => `${features.length * WINDOWS} window-features`;
  const lines = ['agreement (same inputs, both sides):'];

  const full = { d: new Gap(), p: new Gap() };
  const sketch = { d: new Gap(), p: new Gap() };
  let sameDecision = 0;
  const methods = new Map<string, number>();
  forEach(NUMERIC, (f, w) => {
    const [d, p] = scipy(f, w);
    const a = resultOf(runs.fullColumn, w, f, 'ks');
    full.d.add(a.statistic ?? NaN, d);
    full.p.add(a.pValue ?? NaN, p);
    const b = resultOf(runs.defaults, w, f, 'ks');
    sketch.d.add(b.statistic ?? NaN, d);
    sketch.p.add(b.pValue ?? NaN, p);
    if ((b.pValue ?? 1) <= 0.05 === p <= 0.05) sameDecision++;
    const method = b.pValueMethod ?? 'none';
    methods.set(method, (methods.get(method) ?? 0) + 1);
  });
  const used = [...methods].map(([m, count]) => `${m} ${count}`).join(', ');
  lines.push(
    `  KS, driftwatch --sample-size 50000 vs scipy ks_2samp(whole column, window), ${pairs(NUMERIC)}: D ${full.d.relative}, p ${full.p.relative}`,
    `  KS, driftwatch defaults (10,000-value quantile sample standing for the 50,000) vs the same: |ΔD| ≤ ${sketch.d.abs.toExponential(1)} (the sample's ECDF is within 1/10,000 of the column's), |Δp| ≤ ${sketch.p.abs.toExponential(1)}; raw p ≤ 0.05 on the same side in ${sameDecision}/${NUMERIC.length * WINDOWS}`,
    `  KS p-value method with the default settings (ksMethod auto, n_ref = the column's count): ${used}`,
  );

  const { evidently, nannyml, alibi } = out.peers;
  if (alibi) {
    const d = new Gap();
    const p = new Gap();
    forEach(NUMERIC, (f, w) => {
      d.add(alibi.values[f]?.statistic?.[w] ?? NaN, scipy(f, w)[0]);
      p.add(alibi.values[f]?.p?.[w] ?? NaN, scipy(f, w)[1]);
    });
    lines.push(
      `  KS, alibi-detect KSDrift vs scipy: D ${d.relative}, p ${p.relative} (alibi stores both as float32)`,
    );
  }
  if (evidently) {
    const p = new Gap();
    forEach(NUMERIC, (f, w) => p.add(evidently.values[f]?.ks?.[w] ?? NaN, scipy(f, w)[1]));
    lines.push(`  KS p, Evidently ValueDrift(ks) vs scipy: ${p.relative} (it calls ks_2samp)`);
  }
  if (nannyml) {
    const d = new Gap();
    forEach(NUMERIC, (f, w) =>
      d.add(nannyml.values[f]?.kolmogorov_smirnov?.[w] ?? NaN, scipy(f, w)[0]),
    );
    lines.push(
      `  KS D, NannyML vs scipy: |ΔD| ≤ ${d.abs.toExponential(1)} (binned, see below; no p-value to compare)`,
    );
  }

  const chi = { stat: new Gap(), p: new Gap() };
  const alibiChi = { stat: new Gap(), p: new Gap() };
  const nannymlChi = new Gap();
  forEach(CATEGORICAL_NAMES, (f, w) => {
    const [stat, p] = scipy(f, w);
    const r = resultOf(runs.defaults, w, f, 'chi_square');
    chi.stat.add(r.statistic ?? NaN, stat);
    chi.p.add(r.pValue ?? NaN, p);
    if (alibi) {
      alibiChi.stat.add(alibi.values[f]?.statistic?.[w] ?? NaN, stat);
      alibiChi.p.add(alibi.values[f]?.p?.[w] ?? NaN, p);
    }
    if (nannyml) nannymlChi.add(nannyml.values[f]?.chi2?.[w] ?? NaN, stat);
  });
  lines.push(
    `  chi-square, driftwatch defaults vs scipy chi2_contingency(training counts, window counts), ${pairs(CATEGORICAL_NAMES)}: statistic ${chi.stat.relative}, p ${chi.p.relative}`,
  );
  if (alibi)
    lines.push(
      `  chi-square, alibi-detect ChiSquareDrift vs scipy: statistic ${alibiChi.stat.relative}, p ${alibiChi.p.relative} (float32)`,
    );
  if (nannyml) lines.push(`  chi-square statistic, NannyML chi2 vs scipy: ${nannymlChi.relative}`);

  if (evidently) {
    let ours = 0;
    let theirs = 0;
    forEach([...NUMERIC, ...CATEGORICAL_NAMES], (f, w) => {
      ours = Math.max(ours, resultOf(runs.defaults, w, f, 'psi').statistic ?? 0);
      theirs = Math.max(theirs, evidently.values[f]?.psi?.[w] ?? 0);
    });
    lines.push(
      `  PSI, largest over all window-features: driftwatch ${ours.toFixed(4)}, Evidently ${theirs.toFixed(4)} (other bins: not comparable value for value)`,
    );
  }
  return lines;
}

/** Where the peers compute something other than driftwatch's defaults (README says the same). */
export const DIFFERENCES = [
  'where the peers compute something else:',
  "  Evidently PSI bins both samples by equal-width bins over reference + window (numpy's",
  '    histogram_bin_edges, Sturges), per window; driftwatch uses the baseline deciles fixed at build',
  '    time, pools sparse bins and guards PSI with the chi-square test of its bins.',
  '  Evidently chisquare is the goodness-of-fit test of the window against the training proportions',
  '    (scipy chisquare), not the contingency test driftwatch, NannyML and alibi-detect run.',
  '  NannyML KS against 10,000 or more training rows is binned: the reference cumulated over',
  '    10,000 equal-width bins of its range, D from the bins, and no p-value (alerts from a',
  '    threshold on D).',
  '  alibi-detect KSDrift re-sorts the whole reference per window and feature (ks_2samp, mode asymp)',
  '    and keeps D and p as float32; its drift flag uses a Bonferroni correction across features.',
  '  driftwatch computes more per window than any one peer: KS + PSI per numeric feature, chi-square +',
  '    PSI per categorical one, a per-feature summary, the Benjamini-Hochberg correction across the',
  "    window's tests and the dataset drift share.",
];
