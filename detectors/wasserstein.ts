import { DetectorInputError } from './errors.js';
import { sortedCopy } from './sort.js';

const FN = 'wassersteinDistance';

interface SortedDistribution {
  values: Float64Array;
  /** Cumulative weight up to and including values[i]; undefined for unit weights. */
  cumulative: Float64Array | undefined;
  total: number;
}

function sortedDistribution(
  name: string,
  values: ArrayLike<number>,
  weights: ArrayLike<number> | undefined,
): SortedDistribution {
  if (values.length === 0) throw new DetectorInputError(FN, `${name} is empty`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new DetectorInputError(FN, `${name}[${i}] is ${values[i]}; values must be finite`);
    }
  }
  if (weights === undefined) {
    return {
      values: sortedCopy(values),
      cumulative: undefined,
      total: values.length,
    };
  }
  if (weights.length !== values.length) {
    throw new DetectorInputError(
      FN,
      `${name} has ${values.length} values but ${weights.length} weights`,
    );
  }
  const order = new Uint32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((x, y) => (values[x] as number) - (values[y] as number));
  const sorted = new Float64Array(values.length);
  const cumulative = new Float64Array(values.length);
  let total = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    const w = weights[i] as number;
    if (!(w >= 0) || w === Infinity) {
      throw new DetectorInputError(
        FN,
        `${name} weight [${i}] is ${w}; weights must be finite and >= 0`,
      );
    }
    total += w;
    sorted[k] = values[i] as number;
    cumulative[k] = total;
  }
  if (!(total > 0)) throw new DetectorInputError(FN, `${name} weights sum to 0`);
  return { values: sorted, cumulative, total };
}

/** CDF of `d` at the value `values[i-1]` once `i` values (all <= x) have been passed. */
function cdfAt(d: SortedDistribution, passed: number): number {
  if (passed === 0) return 0;
  return d.cumulative === undefined
    ? passed / d.total
    : (d.cumulative[passed - 1] as number) / d.total;
}

/**
 * scipy.stats.wasserstein_distance (first Wasserstein distance between two 1-D empirical
 * distributions): ∫|U − V| over the merged sorted support, U and V right-continuous CDFs.
 * One merge pass over the sorted samples, O((n + m) log(n + m)) for the sorts.
 */
export function wassersteinDistance(
  u: ArrayLike<number>,
  v: ArrayLike<number>,
  opts: { uWeights?: ArrayLike<number>; vWeights?: ArrayLike<number> } = {},
): number {
  const a = sortedDistribution('u', u, opts.uWeights);
  const b = sortedDistribution('v', v, opts.vWeights);
  const av = a.values;
  const bv = b.values;
  let i = 0;
  let j = 0;
  let sum = 0;
  let x = Math.min(av[0] as number, bv[0] as number);
  while (i < av.length || j < bv.length) {
    while (i < av.length && (av[i] as number) <= x) i++;
    while (j < bv.length && (bv[j] as number) <= x) j++;
    const next = Math.min(
      i < av.length ? (av[i] as number) : Infinity,
      j < bv.length ? (bv[j] as number) : Infinity,
    );
    if (next === Infinity) break;
    sum += Math.abs(cdfAt(a, i) - cdfAt(b, j)) * (next - x);
    x = next;
  }
  return sum;
}
