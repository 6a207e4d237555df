// Exact P(D_n <= d) for the two-sided one-sample Kolmogorov–Smirnov statistic, for the regions
// where kolmogorov.ts (following scipy's dispatcher) asks for it: Durbin's matrix method in the
// Marsaglia–Tsang–Wang form, and Pomeranz's recursion. Both rescale by 2^±128 as they go and
// carry the power of two separately, with the same triggers as scipy, so that intermediate
// overflow/underflow happens (or not) exactly where it does there.

const E128 = 128;
const P128 = 2 ** 128;
const M128 = 2 ** -128;

/**
 * POW2[e + 1000] = 2^e for e in [−1000, 1000], built by exact doublings and halvings: the
 * values 2 ** e gives, without a pow call per use (the one-sided KS sum takes one per term).
 */
const POW2 = new Float64Array(2001);
POW2[1000] = 1;
for (let e = 1; e <= 1000; e++) {
  POW2[1000 + e] = (POW2[999 + e] as number) * 2;
  POW2[1000 - e] = (POW2[1001 - e] as number) / 2;
}

/** 2^e for an integer e in [−1000, 1000], exact. */
export function pow2(e: number): number {
  return POW2[e + 1000] as number;
}

/** v·2^e without overflowing or flushing the power of two itself. */
export function ldexp(v: number, e: number): number {
  // Beyond ±2200 the result is 0 or ±Infinity for any finite v; this also bounds the loops.
  if (e < -2200) return v * 0;
  if (e > 2200) return v * Infinity;
  while (e > 1000) {
    v *= 2 ** 1000;
    e -= 1000;
  }
  while (e < -1000) {
    v *= 2 ** -1000;
    e += 1000;
  }
  return v * (POW2[e + 1000] as number);
}

/** Durbin (1968) / Marsaglia, Tsang & Wang (2003): P(D_n <= d) as n!/n^n · (H^n)[k-1][k-1]. */
export function kolmogorovCdfDurbin(n: number, d: number): number {
  const nd = n * d;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  // v: first column and (reversed) last row of H; w[j] = 1/j! fills the band above the diagonal.
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j; // may underflow for large m; the entries it feeds are then negligible anyway
    v[j - 1] = (1 - h ** j) * fac;
  }
  v[m - 1] = (1 + (Math.max(2 * h - 1, 0) ** m - 2 * h ** m)) * fac;

  let hm = new Float64Array(m * m);
  for (let r = 0; r < m; r++) {
    hm[r * m] = v[r] as number;
    for (let c = 1; c <= Math.min(r + 1, m - 1); c++) hm[r * m + c] = w[r - c + 1] as number;
  }
  for (let c = 0; c < m; c++) hm[(m - 1) * m + c] = v[m - 1 - c] as number;

  // Only row k-1 of H^n is needed, so the accumulated power is a row vector: O(m²) per
  // multiplication instead of O(m³); only the repeated squaring of H is cubic.
  let row = new Float64Array(m);
  row[k - 1] = 1;
  let rowTmp = new Float64Array(m);
  let sq = new Float64Array(m * m);
  let expnt = 0;
  let hExpnt = 0;
  for (let nn = n; nn > 0; nn = Math.floor(nn / 2)) {
    if (nn % 2 === 1) {
      rowTmp.fill(0);
      for (let i = 0; i < m; i++) {
        const a = row[i] as number;
        if (a === 0) continue;
        const base = i * m;
        for (let c = 0; c < m; c++)
          rowTmp[c] = (rowTmp[c] as number) + a * (hm[base + c] as number);
      }
      const swap = row;
      row = rowTmp;
      rowTmp = swap;
      expnt += hExpnt;
    }
    if (nn === 1) break; // scipy squares once more here, but the result is never used
    sq.fill(0);
    for (let r = 0; r < m; r++) {
      for (let i = 0; i < m; i++) {
        const a = hm[r * m + i] as number;
        if (a === 0) continue;
        const base = i * m;
        const out = r * m;
        for (let c = 0; c < m; c++)
          sq[out + c] = (sq[out + c] as number) + a * (hm[base + c] as number);
      }
    }
    const swap = hm;
    hm = sq;
    sq = swap;
    hExpnt *= 2;
    if (Math.abs(hm[(k - 1) * m + k - 1] as number) > P128) {
      for (let i = 0; i < m * m; i++) hm[i] = (hm[i] as number) * M128;
      hExpnt += E128;
    }
  }

  let p = row[k - 1] as number;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < M128) {
      p *= P128;
      expnt -= E128;
    }
  }
  return ldexp(p, expnt);
}

/** Pomeranz (1974): P(D_n <= d) by 2n+1 truncated convolutions with Poisson-like weights. */
export function kolmogorovCdfPomeranz(n: number, d: number): number {
  const t = n * d;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  // (g/n)^i/i!, (2g/n)^i/i!, ((1-2g)/n)^i/i!: the only three step distributions that occur.
  const gp = new Float64Array(npwrs);
  const g2p = new Float64Array(npwrs);
  const g12p = new Float64Array(npwrs);
  gp[0] = g2p[0] = g12p[0] = 1;
  const a1 = g / n;
  const a2 = (2 * g) / n;
  const a3 = (1 - 2 * g) / n;
  for (let i = 1; i < npwrs; i++) {
    gp[i] = ((gp[i - 1] as number) * a1) / i;
    g2p[i] = ((g2p[i - 1] as number) * a2) / i;
    g12p[i] = ((g12p[i - 1] as number) * a3) / i;
  }

  // Row i's non-zero entries are the contiguous columns [j1, j2]; row storage starts at column
  // `start`. Two rows suffice: the previous one (prev) and the one being built (cur).
  let j1 = 0;
  let j2 = 0;
  const setBounds = (i: number): void => {
    if (i === 0) {
      j1 = -ll - ceilf - 1;
      j2 = ll + ceilf - 1;
    } else {
      const half = Math.floor((i + 1) / 2);
      if ((i + 1) % 2 === 0) {
        if (half === n + 1) {
          j1 = n - ll - ceilf - 1;
          j2 = n + ll + ceilf - 1;
        } else {
          j1 = half - 1 - ll - roundf - 1;
          j2 = half + ll - 1 + ceilf - 1;
        }
      } else {
        j1 = half - 1 - ll - 1;
        j2 = half + ll + roundf - 1;
      }
    }
    j1 = Math.max(j1 + 2, 0);
    j2 = Math.min(j2, n);
  };

  let prev = new Float64Array(npwrs);
  let cur = new Float64Array(npwrs);
  cur[0] = 1;
  let prevStart = 0;
  let curStart = 0;
  let expnt = 0;
  setBounds(0);
  for (let i = 1; i <= 2 * n + 1; i++) {
    const k1 = j1;
    const swap = prev;
    prev = cur;
    cur = swap;
    const swapStart = prevStart;
    prevStart = curStart;
    curStart = swapStart;
    cur.fill(0);
    setBounds(i);
    const pw = i === 1 || i === 2 * n + 1 ? gp : i % 2 === 1 ? g2p : g12p;
    const len = j2 - k1 + 1;
    if (len <= 0) continue;
    // Same truncation as convolving prev[k1-prevStart ..+len) with pw[0..len), both clipped to
    // the arrays' length.
    const off = k1 - prevStart;
    const segLen = Math.min(len, npwrs - off);
    const pwLen = Math.min(len, npwrs);
    let maxv = 0;
    for (let c = j1; c <= j2; c++) {
      const tt = c - k1;
      let s = 0;
      for (let a = Math.max(0, tt - pwLen + 1); a <= Math.min(tt, segLen - 1); a++) {
        s += (prev[off + a] as number) * (pw[tt - a] as number);
      }
      cur[c - j1] = s;
      if (s > maxv) maxv = s;
    }
    if (maxv > 0 && maxv < M128) {
      for (let c = 0; c < npwrs; c++) cur[c] = (cur[c] as number) * P128;
      expnt -= E128;
    }
    curStart = prevStart + j1 - k1;
  }

  let ans = cur[n - curStart] as number;
  for (let i = 1; i <= n; i++) {
    if (Math.abs(ans) > P128) {
      ans *= M128;
      expnt += E128;
    }
    ans *= i;
  }
  return ldexp(ans, expnt);
}
