// Survival function of the exact two-sided one-sample Kolmogorov–Smirnov distribution,
// P(D_n > d), after Simard & L'Ecuyer (2011), "Computing the Two-Sided Kolmogorov-Smirnov
// Distribution", J. Stat. Softw. 39(11). The method for each (n, d) region, and every threshold,
// is the one scipy's kstwo (scipy.stats._ksstats._kolmogn, scipy 1.17.1) picks, so that the
// values match scipy's — including where scipy uses an approximation (Pelz–Good, 2·smirnov, the
// n > 10⁶ one-sided formula) rather than the exact value.
import { kolmogorovCdfDurbin, kolmogorovCdfPomeranz, ldexp, pow2 } from './kolmogorov-matrix.js';

/** log(2^-1022): cephes' MINLOG, below which scipy's smirnov returns 0 outright. */
const MINLOG = -708.3964185322641;
const SPLIT = 134217729; // 2^27 + 1, Dekker's splitter
/** Stirling-series coefficients B_2j/(2j(2j-1)), j = 8 down to 1 (Horner order). */
const STIRLING = [
  -3617 / 122400,
  1 / 156,
  -691 / 360360,
  1 / 1188,
  -1 / 1680,
  1 / 1260,
  -1 / 360,
  1 / 12,
];

const clip = (p: number): number => Math.min(Math.max(p, 0), 1);

/** Rounding error of p = fl(a·b), so that a·b = p + err exactly (Dekker, no FMA needed). */
function prodErr(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** Rounding error of s = fl(a + b) (Knuth's TwoSum, no ordering assumption). */
function sumErr(a: number, b: number, s: number): number {
  const bb = s - a;
  return a - (s - bb) + (b - bb);
}

// frexp through the bit pattern: exact, and cheap enough to call per term.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
let frE = 0;
/** Returns m in [0.5, 1) with |v| = m·2^frE, for finite v != 0 (sign dropped). */
function frexp(v: number): number {
  const a = Math.abs(v);
  f64[0] = a;
  const w = u32[HI] as number;
  const e = (w >>> 20) - 1022;
  // Normal and not too large: scaling by an exact power of two gives the same mantissa without
  // writing half a word into the double and reading it back (a stall, once per term of a sum).
  if (w >>> 20 !== 0 && e <= 1000 && e >= -1000) {
    frE = e;
    return a * pow2(-e);
  }
  let hi = w;
  let bias = 0;
  if (w >>> 20 === 0) {
    f64[0] *= 2 ** 54;
    hi = u32[HI] as number;
    bias = 54;
  }
  frE = (hi >>> 20) - 1022 - bias;
  u32[HI] = (hi & 0xfffff) | (1022 << 20);
  return f64[0];
}

let powE = 0;
/**
 * |bh + bl|^k as m·2^powE (m returned), for a double-double base and integer k >= 0. The
 * one-sided sum needs powers like 0.5^(10⁶), far outside double range, with relative accuracy
 * near 1 ulp: Math.pow stays within ~1 ulp for any exponent, so the base is split into mantissa
 * and exponent and the power taken in chunks that cannot underflow. bl (|bl| <= ulp(bh)/2) enters
 * to first order; the neglected terms are below (k·2^-53)² < 1e-20.
 */
function powScaled(bh: number, bl: number, k: number): number {
  let cur = frexp(bh);
  let e = frE * k;
  let m = 1 + k * (bl / bh);
  while (k > 0) {
    // cur^chunk >= 2^-960; cur is in [0.5, 1), so chunk >= 960 and needs no log below that.
    const chunk = k <= 960 ? k : Math.floor(-960 / Math.log2(cur));
    if (k <= chunk) {
      m *= cur ** k;
      k = 0;
    } else {
      const q = Math.floor(k / chunk);
      m *= cur ** (k - q * chunk);
      cur = frexp(cur ** chunk);
      e += frE * q;
      k = q;
    }
    m = frexp(m);
    e += frE;
  }
  powE = e;
  return m;
}

/** (bh + bl)^k for a base near 1 and a result in double range (scipy's unscaled pow_D). */
const powNear1 = (bh: number, bl: number, k: number): number => bh ** k * (1 + k * (bl / bh));

/**
 * scipy.special.smirnov(n, d): P(D_n^+ > d) for the one-sided statistic, by the Birnbaum–Tingey
 * sum d·Σ_j C(n,j)(d+j/n)^(j-1)(1-d-j/n)^(n-j) (or its complement's short alternating sum), with
 * scipy's special cases. scipy truncates a non-integer n; here it gives NaN.
 */
export function smirnovSf(n: number, d: number): number {
  if (Number.isNaN(d) || !(Number.isInteger(n) && n > 0 && d >= 0 && d <= 1)) return NaN;
  if (n === 1) return 1 - d;
  if (d === 0) return 1;
  if (d === 1) return 0;
  // n·d exactly, as a double-double; floor and fractional part from it.
  const nxH = n * d;
  const nxL = prodErr(n, d, nxH);
  let nxfl = Math.floor(nxH);
  if (nxfl === nxH && nxL < 0) nxfl -= 1;
  let alpha = nxH - nxfl + nxL;
  if (alpha === 1) {
    nxfl += 1;
    alpha = 0;
  }
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    const onePlus = 1 + d;
    return clip(1 - d * powNear1(onePlus, d - (onePlus - 1), n - 1));
  }
  if (-2 * n * d * d < MINLOG) return 0;
  if (nxfl >= n - 1) {
    const oneMinus = 1 - d;
    return clip(powNear1(oneMinus, 1 - oneMinus - d, n));
  }
  if (n > 1_000_000) {
    const u = 6 * n * d + 1;
    const logp = -(u * u) / 18 / n;
    return clip(logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp));
  }

  // The upper (alternating) sum loses accuracy with each term, so scipy keeps it for tiny d.
  const nUpper = nxfl + (alpha === 0 ? 0 : 1);
  const upper = (nUpper <= 1 && d < 0.5) || (n >= 10 && nUpper <= 3 && d <= 0.5 / Math.sqrt(n));
  const nTerms = upper ? nUpper : n - nxfl;
  let sum: number;
  if (upper) {
    sum = powNear1(1 + d, d - (1 + d - 1), n - 1);
  } else {
    const oneMinus = 1 - d;
    const m = powScaled(oneMinus, 1 - oneMinus - d, n);
    sum = ldexp(m / d, powE);
  }
  let comp = 0; // Neumaier compensation: up to ~n/2 positive terms of similar size
  // C(n, j) as (ch + cl)·2^ce: double-double so that ~10⁶ updates add no visible error.
  let ch = 0.5;
  let cl = 0;
  let ce = 1;
  const vmid = Math.floor(n / 2);
  for (let j = 0; j < nTerms; j++) {
    if (j > 0) {
      const v = upper ? n - j : j;
      // base (v + n·d)/n, power v-1; base (n - v - n·d)/n, power n-v; both as double-doubles.
      let sH = v + nxH;
      let sL = sumErr(v, nxH, sH) + nxL;
      let aH = sH / n;
      let aL = (sH - aH * n - prodErr(aH, n, aH * n) + sL) / n;
      const ma = powScaled(aH, aL, v - 1);
      const ea = powE;
      sH = n - v - nxH;
      sL = sumErr(n - v, -nxH, sH) - nxL;
      aH = sH / n;
      aL = (sH - aH * n - prodErr(aH, n, aH * n) + sL) / n;
      const mb = powScaled(aH, aL, n - v);
      const sign = aH < 0 && (n - v) % 2 === 1 ? -1 : 1;
      const term = sign * ldexp(ch * ma * mb, ce + ea + powE);
      if (Number.isFinite(term) && term !== 0) {
        const s = sum + term;
        comp += Math.abs(sum) >= Math.abs(term) ? sum - s + term : term - s + sum;
        sum = s;
        if (4 * (nTerms - j) * Math.abs(term) < Number.EPSILON * (sum + comp) && j !== nTerms - 1) {
          break;
        }
      } else if (j > vmid) {
        break;
      }
    }
    // C(n, j+1) = C(n, j)·(n-j)/(j+1), the ratio as a double-double too.
    const rh = (n - j) / (j + 1);
    const rl = (n - j - rh * (j + 1) - prodErr(rh, j + 1, rh * (j + 1))) / (j + 1);
    const ph = ch * rh;
    const pl = prodErr(ch, rh, ph) + (ch * rl + cl * rh);
    const h = ph + pl;
    ch = frexp(h);
    cl = ldexp(pl - (h - ph), -frE);
    ce += frE;
  }
  const prob = d * (sum + comp);
  return clip(upper ? 1 - prob : prob);
}

/** log(n!/n^n) by Stirling's series with n·log(n) cancelled analytically (as scipy does). */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  let poly = 0;
  for (const c of STIRLING) poly = poly * (rn / n) + c;
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + rn * poly;
}

/** Pelz & Good (1976) asymptotic P(D_n <= d): Li-Chien/Korolyuk series in theta-function form. */
function kolmogorovCdfPelzGood(n: number, d: number): number {
  const z = Math.sqrt(n) * d;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const pi2 = Math.PI ** 2;
  const pi4 = Math.PI ** 4;
  const qlog = -pi2 / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = pi2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * pi2) / 4;
  const k2c = (pi4 * (1 - 2 * z2)) / 16;
  const k3d = (Math.PI ** 6 * (5 - 30 * z2)) / 64;
  const k3c = (pi4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (pi2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  // Σ over odd m = 2k-1 of c(m)·q^(m²), Horner in q^(8k) (m² steps by 8k between neighbours).
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k >= 1; k--) {
    const m2 = (2 * k - 1) ** 2;
    const qp = q ** (8 * k);
    s0 = s0 * qp + 1;
    s1 = s1 * qp + (k1a + k1b * m2);
    s2 = s2 * qp + (k2a + k2b * m2 + k2c * m2 * m2);
    s3 = s3 * qp + (k3a + k3b * m2 + k3c * m2 * m2 + k3d * m2 * m2 * m2);
  }
  const c = q * Math.sqrt(2 * Math.PI);
  s0 = (s0 * c) / z;
  s1 = (s1 * c) / (6 * z4);
  s2 = (s2 * c) / (72 * z ** 7);
  s3 = (s3 * c) / (6480 * z ** 10);
  // The extra K2, K3 terms run over all k with q^(k²); all of one sign, so summed directly.
  q = Math.exp(-pi2 / 2 / z2);
  let e2 = 0;
  let e3 = 0;
  for (let k = maxk; k >= 1; k--) {
    const w = k * k * q ** (k * k);
    const kpi = Math.PI * k;
    e2 += w;
    e3 += (Math.sqrt(3) * z + kpi) * (Math.sqrt(3) * z - kpi) * w;
  }
  const r = Math.sqrt(2 * Math.PI) * pi2;
  s2 += (e2 * r) / (-36 * z3);
  s3 += (e3 * r) / (216 * z6);
  return s0 + s1 / Math.sqrt(n) + s2 / n + s3 / n ** 1.5;
}

/**
 * scipy.stats.kstwo.sf(d, n): P(D_n > d) for the two-sided one-sample KS statistic.
 * n integer >= 1 (NaN otherwise, and for a NaN d).
 */
export function kolmogorovSf(n: number, d: number): number {
  if (!(Number.isInteger(n) && n >= 1) || Number.isNaN(d)) return NaN;
  if (d >= 1) return 0;
  if (d <= 0) return 1;
  const t = n * d;
  if (t <= 1) {
    // Ruben & Gambino: P(D_n <= d) = n!/n^n·(2t-1)^n for 1/(2n) <= d <= 1/n.
    if (t <= 0.5) return 1;
    let cdf = 1;
    if (n <= 140) {
      for (let i = 1; i <= n; i++) cdf *= i * (1 / n) * (2 * t - 1);
    } else {
      cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return clip(1 - cdf);
  }
  if (t >= n - 1) return clip(2 * (1 - d) ** n); // Ruben & Gambino, upper end
  // D_n^+ > d and D_n^- > d cannot both hold for d >= 1/2, so P(D_n > d) = 2·P(D_n^+ > d).
  if (d >= 0.5) return clip(2 * smirnovSf(n, d));
  const nx2 = t * d;
  if (n <= 140) {
    if (nx2 <= 0.754693) return clip(1 - clip(kolmogorovCdfDurbin(n, d)));
    if (nx2 <= 4) return clip(1 - clip(kolmogorovCdfPomeranz(n, d)));
    return clip(2 * smirnovSf(n, d)); // the two-sided overlap term is negligible this far out
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clip(2 * smirnovSf(n, d));
  const cdf =
    n <= 100000 && n * d ** 1.5 <= 1.4
      ? clip(kolmogorovCdfDurbin(n, d))
      : kolmogorovCdfPelzGood(n, d);
  return clip(1 - cdf);
}
