/**
 * Bins (or categories) whose expected window count is small make the binned tests
 * unreliable: chi-square over sparse cells is anti-conservative (a heavy-tied count feature
 * with per-value bins flags ~11 % of no-drift windows at α = 5 %), and one empty window bin
 * adds p·ln(p/ε) to PSI (0.69 for a 10 % bin at ε = 1e-4), far beyond any threshold. So the
 * decisions compare bins pooled until each expects enough values (Cochran's rule); the
 * statistics themselves are unchanged and exact over the bins they are given.
 */
export interface PooledBins {
  reference: Float64Array;
  current: Float64Array;
  /** Bins before pooling with a value on either side. */
  original: number;
}

/**
 * Keeps each bin whose expected window count under no drift, n·rᵢ/N, reaches `minExpected`,
 * and merges all the others into one bin; a merged bin still short of it joins the kept bin
 * with the smallest training count. The expectation comes from the training side alone, so
 * which bins are pooled depends on n, never on where the window's values fell (pooling the
 * bins a window happened to leave empty would bias the statistic upwards). A bin without
 * training values that the window fills is kept apart: no-drift windows never fill it, and
 * it is the clearest drift there is. Bins empty on both sides are dropped. Order does not
 * matter to PSI or chi-square, so merging non-adjacent bins is fine.
 */
export function poolSparseBins(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  minExpected: number,
): PooledBins {
  let refTotal = 0;
  let curTotal = 0;
  for (let i = 0; i < reference.length; i++) {
    refTotal += reference[i] as number;
    curTotal += current[i] as number;
  }
  const perTraining = curTotal / refTotal;
  const ref: number[] = [];
  const cur: number[] = [];
  const novelRef: number[] = [];
  const novelCur: number[] = [];
  let poolRef = 0;
  let poolCur = 0;
  let original = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] as number;
    const c = current[i] as number;
    if (r === 0 && c === 0) continue;
    original++;
    if (r === 0) {
      novelRef.push(r);
      novelCur.push(c);
    } else if (r * perTraining >= minExpected) {
      ref.push(r);
      cur.push(c);
    } else {
      poolRef += r;
      poolCur += c;
    }
  }
  if (poolRef > 0) {
    if (poolRef * perTraining >= minExpected || ref.length === 0) {
      ref.push(poolRef);
      cur.push(poolCur);
    } else {
      let smallest = 0;
      for (let i = 1; i < ref.length; i++) {
        if ((ref[i] as number) < (ref[smallest] as number)) smallest = i;
      }
      ref[smallest] = (ref[smallest] as number) + poolRef;
      cur[smallest] = (cur[smallest] as number) + poolCur;
    }
  }
  return {
    reference: Float64Array.from([...ref, ...novelRef]),
    current: Float64Array.from([...cur, ...novelCur]),
    original,
  };
}
