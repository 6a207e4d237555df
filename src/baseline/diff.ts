import {
  chiSquareContingency,
  countIntoBins,
  ksTwoSample,
  psi,
  type FeatureReference,
  type ReferenceSample,
} from '../../detectors/index.js';
import type { Baseline } from './baseline.js';

export interface FeatureDiff {
  feature: string;
  kind: 'numeric' | 'categorical' | 'mismatch' | 'only-a' | 'only-b';
  psi: number | null;
  /** KS (numeric, between reference samples) or chi-square homogeneity (categorical). */
  test: { name: 'ks' | 'chi_square'; statistic: number; pValue: number } | null;
}

function expand(sample: ReferenceSample): Float64Array {
  const out = new Float64Array(sample.size);
  let at = 0;
  sample.values.forEach((v, i) => {
    const upTo = sample.cumulative[i] as number;
    out.fill(v, at, upTo);
    at = upTo;
  });
  return out;
}

function numericDiff(
  a: Extract<FeatureReference, { kind: 'numeric' }>,
  b: Extract<FeatureReference, { kind: 'numeric' }>,
) {
  // B's mass in A's bins: from B's reference sample (its ECDF is within 1/size of B's data).
  let bCounts: Float64Array | undefined;
  if (b.sample) {
    bCounts = new Float64Array(a.cuts.length + 1);
    countIntoBins(a.cuts, expand(b.sample), bCounts);
  } else if (a.cuts.length === b.cuts.length && a.cuts.every((c, i) => c === b.cuts[i])) {
    bCounts = b.binCounts;
  }
  const test = a.sample && b.sample ? ksTwoSample(expand(a.sample), expand(b.sample)) : undefined;
  return {
    psi: bCounts ? psi(a.binCounts, bCounts) : null,
    test: test ? { name: 'ks' as const, statistic: test.statistic, pValue: test.pValue } : null,
  };
}

function categoricalDiff(
  a: Extract<FeatureReference, { kind: 'categorical' }>,
  b: Extract<FeatureReference, { kind: 'categorical' }>,
) {
  // A category in one baseline's top K may sit in the other's pooled `other`: compare the
  // categories both name, and everything else as one pool on each side.
  const inB = new Set(b.categories);
  const names = a.categories.filter((c) => inB.has(c));
  const countOf = (r: typeof a, name: string) => r.counts[r.index.get(name) as number] as number;
  const named = (r: typeof a) => names.map((n) => countOf(r, n));
  const pool = (r: typeof a, counts: number[]) => r.count - counts.reduce((x, y) => x + y, 0);
  const na = named(a);
  const nb = named(b);
  const ra = [...na, pool(a, na)];
  const rb = [...nb, pool(b, nb)];
  const keep = ra.map((_, i) => i).filter((i) => (ra[i] as number) > 0 || (rb[i] as number) > 0);
  const ta = keep.map((i) => ra[i] as number);
  const tb = keep.map((i) => rb[i] as number);
  const chi = chiSquareContingency([ta, tb]);
  return {
    psi: psi(ta, tb),
    test: { name: 'chi_square' as const, statistic: chi.statistic, pValue: chi.pValue },
  };
}

/** Drift between two training baselines, feature by feature, with the daemon's detectors. */
export function diffBaselines(a: Baseline, b: Baseline): FeatureDiff[] {
  const names = [...new Set([...a.features.keys(), ...b.features.keys()])].sort();
  return names.map((feature): FeatureDiff => {
    const fa = a.features.get(feature);
    const fb = b.features.get(feature);
    if (!fa) return { feature, kind: 'only-b', psi: null, test: null };
    if (!fb) return { feature, kind: 'only-a', psi: null, test: null };
    if (fa.kind === 'numeric' && fb.kind === 'numeric') {
      return { feature, kind: 'numeric', ...numericDiff(fa, fb) };
    }
    if (fa.kind === 'categorical' && fb.kind === 'categorical') {
      return { feature, kind: 'categorical', ...categoricalDiff(fa, fb) };
    }
    return { feature, kind: 'mismatch', psi: null, test: null };
  });
}
