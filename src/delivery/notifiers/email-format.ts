/**
 * Value formatting and sanitising shared by the email parts: numbers, counts and times as
 * shown to people, and strings made safe for one line, a header or a Message-ID.
 */

/**
 * 4 significant digits without trailing zeros; exponent form below 1e-3 (p-values, tiny
 * statistics) and at 1e6 and above; integers as they are; null → "n/a".
 */
export function fmtNum(v: number | null): string {
  if (v === null) return 'n/a';
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs < 1e-3 || abs >= 1e6) return trimExp(v.toExponential(3));
  if (Number.isInteger(v)) return String(v);
  const s = v.toPrecision(4);
  return s.includes('e') ? trimExp(s) : s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

function trimExp(s: string): string {
  const [mant = s, exp = ''] = s.split('e');
  const m = mant.includes('.') ? mant.replace(/\.?0+$/, '') : mant;
  return `${m}e${exp.replace(/^\+/, '')}`;
}

export function fmtCount(k: number): string {
  return Number.isFinite(k) ? String(Math.round(k)) : 'n/a';
}

/** ISO 8601 UTC, without a `.000` millisecond part; "n/a" for a time that is not one. */
export function iso(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return 'n/a';
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? 'n/a' : d.toISOString().replace('.000Z', 'Z');
}

// ---------------------------------------------------------------------------------------------
// Sanitising

/* eslint-disable no-control-regex */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
/* eslint-enable no-control-regex */

/** One line: control characters (newlines included) shown as `\uXXXX`, never acted on. */
export function oneLine(s: string): string {
  return s.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Free text: split on line breaks, other control characters made visible. */
export function multiLine(s: string): string[] {
  return s.split(/\r\n|\r|\n/).map(oneLine);
}

/** A header value: single line, control characters replaced by spaces. */
export function headerValue(s: string): string {
  return s.replace(CONTROL, ' ').trim();
}

/** Part of a msg-id (RFC 5322 dot-atom-text): anything outside atext becomes "-". */
export function msgIdPart(s: string): string {
  return s.replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/g, '-');
}

export function clip(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}
