/**
 * Decimal numbers read straight from a CSV block's bytes, so that a numeric cell never becomes
 * a string: the same float64 as Number(text), for exactly the texts that cell.ts's NUMBER
 * pattern accepts (`[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?`).
 *
 * Only the case where one IEEE-754 operation gives the correctly rounded result is done here
 * (Clinger's fast path): a significand of at most 2^53 (exact in a double) times or divided by
 * 10^k with k ≤ 22 (10^22 is the largest power of ten a double holds exactly), or zero. A
 * single multiplication or division of two exact doubles rounds once, to nearest, exactly as
 * Number() rounds the decimal. Anything else (more significant digits, larger exponents,
 * subnormals, overflow) is handed to Number() on the same text: rare in real data, and never
 * a risk of a wrong last bit. tests/unit/baseline-decimal.test.ts compares with Number() on
 * random and edge texts.
 */

const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const LOWER_E = 0x65;
/** Largest significand that can take one more digit and stay ≤ 2^53: (2^53 − 9) / 10. */
const SIGNIFICAND_LIMIT = 900_719_925_474_099;
/** Exponents are only compared with 22 and ±400: this caps the digits accumulated. */
const EXPONENT_CAP = 100_000;
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** What parseDecimal returns for a text outside the pattern (no number text gives NaN). */
export const NOT_A_NUMBER = NaN;

/** Where scanDecimal stopped: the offset after the number it read. */
export interface DecimalEnd {
  end: number;
}

const whole: DecimalEnd = { end: 0 };

/**
 * The number written in buf[start, end) (no white space around it), or NaN when the bytes are
 * not a plain decimal as above ("inf", "0x1f", "1e", "" are not). Overflow gives ±Infinity,
 * as Number() does.
 */
export function parseDecimal(buf: Buffer, start: number, end: number): number {
  const x = scanDecimal(buf, start, end, whole);
  return whole.end === end ? x : NOT_A_NUMBER;
}

/**
 * The decimal at buf[start] that goes on no further than `end`, where it stops put in `out.end`:
 * for a reader that cuts a field and reads its number in one pass (the field is the number
 * when a delimiter follows). NaN (out.end unspecified) when no digits start there, or an
 * exponent marker has no digits.
 */
export function scanDecimal(buf: Buffer, start: number, end: number, out: DecimalEnd): number {
  if (start >= end) return NOT_A_NUMBER;
  let i = start;
  let negative = false;
  let c = buf[i];
  if (c === PLUS || c === MINUS) {
    negative = c === MINUS;
    i++;
  }
  let significand = 0;
  let digits = 0;
  let fraction = 0;
  let exact = true;
  for (; i < end; i++) {
    const d = (buf[i] as number) - ZERO;
    if (d < 0 || d > 9) break;
    digits++;
    if (significand > SIGNIFICAND_LIMIT) exact = false;
    else significand = significand * 10 + d;
  }
  if (i < end && buf[i] === DOT) {
    for (i++; i < end; i++) {
      const d = (buf[i] as number) - ZERO;
      if (d < 0 || d > 9) break;
      digits++;
      fraction++;
      if (significand > SIGNIFICAND_LIMIT) exact = false;
      else significand = significand * 10 + d;
    }
  }
  if (digits === 0) return NOT_A_NUMBER;
  let exponent = 0;
  c = buf[i];
  if (i < end && ((c as number) | 0x20) === LOWER_E) {
    i++;
    let negativeExponent = false;
    c = buf[i];
    if (i < end && (c === PLUS || c === MINUS)) {
      negativeExponent = c === MINUS;
      i++;
    }
    const first = i;
    for (; i < end; i++) {
      const d = (buf[i] as number) - ZERO;
      if (d < 0 || d > 9) break;
      if (exponent < EXPONENT_CAP) exponent = exponent * 10 + d;
    }
    if (i === first) return NOT_A_NUMBER;
    if (negativeExponent) exponent = -exponent;
  }
  out.end = i;

  if (exact) {
    if (significand === 0) return negative ? -0 : 0;
    const scale = exponent - fraction;
    let value: number | undefined;
    if (scale >= 0 && scale <= 22) value = significand * (POW10[scale] as number);
    else if (scale < 0 && scale >= -22) value = significand / (POW10[-scale] as number);
    if (value !== undefined) return negative ? -value : value;
  }
  // The pattern matched: ASCII, so latin1 is the text.
  return Number(buf.toString('latin1', start, i));
}
