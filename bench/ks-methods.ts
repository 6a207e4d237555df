/**
 * `npm run bench:ks-methods`: what the exact KS p-value buys over the asymptotic one, and what
 * it costs, for reference samples of training sets up to 10,000 rows (where ks_2samp's `auto`
 * would choose exact). Per cell: 1,000 seeded windows of n normal values, unshifted (false
 * alarms at α = 5 %) and shifted by 0.2σ (power); both p-values of each window's D, how often
 * they decide differently, the mean time per p-value, and the largest exact work
 * (insideMethodWork: the steps `drift.ksMaxExactWork` bounds).
 *
 *   npm run bench:ks-methods
 *   BENCH_WINDOWS=200 npm run bench:ks-methods   # quicker
 */
import { ksPValue, ksStatisticSorted } from '../detectors/index.js';
import { insideMethodWork } from '../detectors/ks-exact.js';
import { normal, rng } from '../scripts/synthetic.js';

const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 1_000);
const ALPHA = 0.05;
const random = rng(42);
const rows: string[][] = [
  [
    'n_ref',
    'n',
    'shift',
    'exact flags',
    'asymp flags',
    'disagree',
    'exact µs',
    'asymp µs',
    'max work',
  ],
];

for (const nRef of [500, 2_000, 10_000]) {
  const reference = Float64Array.from({ length: nRef }, () => normal(random)).sort();
  for (const n of [30, 100, 300, 1_000]) {
    for (const shift of [0, 0.2]) {
      let exactFlags = 0;
      let asympFlags = 0;
      let disagree = 0;
      let exactMs = 0;
      let asympMs = 0;
      let maxWork = 0;
      for (let w = 0; w < WINDOWS; w++) {
        const window = Float64Array.from({ length: n }, () => normal(random) + shift).sort();
        const d = ksStatisticSorted(reference, window);
        maxWork = Math.max(maxWork, insideMethodWork(d, n, nRef));
        let t = performance.now();
        const exact = ksPValue(d, nRef, n, 'exact').pValue < ALPHA;
        exactMs += performance.now() - t;
        t = performance.now();
        const asymp = ksPValue(d, nRef, n, 'asymp').pValue < ALPHA;
        asympMs += performance.now() - t;
        if (exact) exactFlags++;
        if (asymp) asympFlags++;
        if (exact !== asymp) disagree++;
      }
      const pct = (k: number) => `${((k / WINDOWS) * 100).toFixed(1)} %`;
      const us = (ms: number) => ((ms / WINDOWS) * 1_000).toFixed(1);
      rows.push([
        String(nRef),
        String(n),
        `${shift}σ`,
        pct(exactFlags),
        pct(asympFlags),
        `${disagree} of ${WINDOWS}`,
        us(exactMs),
        us(asympMs),
        maxWork.toExponential(1),
      ]);
    }
  }
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows)
  process.stdout.write(`${r.map((c, i) => c.padStart(widths[i]!)).join('  ')}\n`);
