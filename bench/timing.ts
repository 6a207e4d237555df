/** Timing shared by the in-process benches (detectors, peers). */

export interface Timing {
  /** Seconds per call. */
  best: number;
  median: number;
}

/**
 * Best and median seconds per call of `fn` over `runs` runs, after `warmup` unmeasured calls.
 * With `inner` > 1 each run times `inner` calls in a loop (for calls of a few µs).
 */
export function bestOf(
  fn: () => unknown,
  runs: number,
  inner = 1,
  warmup = Math.max(3, inner),
): Timing {
  let sink = 0;
  // Keeps what fn returns alive, so the JIT cannot drop the work.
  const keep = (r: unknown) => {
    if (typeof r === 'number') sink += r;
    else if (r !== undefined) sink += 1;
  };
  for (let i = 0; i < warmup; i++) keep(fn());
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < inner; i++) keep(fn());
    samples.push(Number(process.hrtime.bigint() - t0) / 1e9 / inner);
  }
  if (Number.isNaN(sink)) process.stderr.write('(sink is NaN)\n');
  samples.sort((a, b) => a - b);
  return { best: samples[0] as number, median: samples[Math.floor(samples.length / 2)] as number };
}
