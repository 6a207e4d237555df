import { SUMMARY_METHOD, windowTagOf, type WindowPoint } from '../drift/window-points.js';
import type { WindowModelPoint } from '../drift/model-points.js';

/**
 * A point's InfluxDB line, written straight from the WindowPoint: the same text as
 * `toPoint(result, measurement).toLineProtocol()` (tests/support/to-point.ts, with the InfluxDB
 * client's Point; tests/unit/line-protocol.test.ts checks it over every kind of point), without
 * building a Point and sorting its tags and fields per point — in the fleet bench that took
 * 60 % on top of the evaluation itself. Tags and the fixed fields of summary and drift points
 * are written in the client's order (keys sorted).
 */
export function toLine(result: WindowPoint, measurement: string): string {
  // Tags, sorted by key: baseline, feature, method, model, model_version, window.
  let line = escape(measurement, MEASUREMENT);
  line += tag('baseline', result.baselineHash);
  line += tag('feature', result.feature);
  line += tag('method', result.kind === 'summary' ? SUMMARY_METHOD : result.method);
  line += tag('model', result.model);
  line += tag('model_version', result.modelVersion);
  line += tag('window', windowTagOf(result));
  const fields =
    result.kind === 'summary'
      ? fixedFields(result, SUMMARY_FIELDS)
      : result.kind === 'model'
        ? modelFields(result)
        : fixedFields(result, DRIFT_FIELDS);
  return `${line} ${fields} ${String(Math.floor(result.windowEnd))}`;
}

type Summary = Extract<WindowPoint, { kind: 'summary' }>;
type Drift = Extract<WindowPoint, { kind: 'drift' }>;

/** A fixed field: its key, how its value is written, and where the point keeps it. */
type FieldSpec<P> = readonly [key: string, type: FieldType, value: (p: P) => unknown];
type FieldType = 'int' | 'float' | 'string' | 'boolean';

/** A count window's span varies: its start is written beside the end (the point's time). */
const windowStartOf = (r: WindowPoint) => (r.windowTag === undefined ? undefined : r.windowStart);

/** A summary point's fields, in sorted key order (absent values are left out). */
const SUMMARY_FIELDS: readonly FieldSpec<Summary>[] = [
  ['above_max', 'int', (r) => r.aboveMax],
  ['above_q999', 'int', (r) => r.aboveHigh],
  ['below_min', 'int', (r) => r.belowMin],
  ['below_q001', 'int', (r) => r.belowLow],
  ['categories', 'int', (r) => r.categories],
  // One string field: a field per bin would make the series' schema depend on the baseline.
  ['counts', 'string', (r) => (r.counts?.length ? r.counts.join(',') : undefined)],
  ['max', 'float', (r) => r.max],
  ['mean', 'float', (r) => r.mean],
  ['min', 'float', (r) => r.min],
  ['missing', 'int', (r) => r.missing],
  ['n', 'int', (r) => r.n],
  ['std', 'float', (r) => r.std],
  ['unseen', 'int', (r) => r.unseen],
  ['window_start', 'int', windowStartOf],
  ['wrong_type', 'int', (r) => r.wrongType],
];

/** A drift point's fields, in sorted key order (absent values are left out). */
const DRIFT_FIELDS: readonly FieldSpec<Drift>[] = [
  ['alpha', 'float', (r) => r.alpha],
  ['bins', 'int', (r) => r.bins],
  ['correction', 'string', (r) => r.correction],
  ['drifted', 'boolean', (r) => r.drifted],
  ['missing', 'int', (r) => r.missing],
  ['n', 'int', (r) => r.n],
  ['n_ref', 'int', (r) => r.nRef],
  ['p_value', 'float', (r) => r.pValue],
  ['p_value_adjusted', 'float', (r) => r.adjustedPValue],
  ['p_value_method', 'string', (r) => r.pValueMethod],
  ['reason', 'string', (r) => r.reason],
  ['rule', 'string', (r) => r.rule],
  ['statistic', 'float', (r) => r.statistic],
  ['statistic_bound', 'float', (r) => r.bound],
  ['status', 'string', (r) => r.status],
  ['tests', 'int', (r) => r.tests],
  ['threshold', 'float', (r) => r.threshold],
  ['unseen', 'int', (r) => r.unseen],
  ['warning', 'boolean', (r) => r.warning],
  ['window_start', 'int', windowStartOf],
];

/** The fixed fields of a point, comma-separated. */
function fixedFields<P>(point: P, specs: readonly FieldSpec<P>[]): string {
  let text = '';
  for (const [key, type, value] of specs) {
    const v = value(point);
    if (v === undefined || v === null) continue;
    let written: string;
    if (type === 'int') written = intText(key, v as number);
    else if (type === 'string') written = quoted(v as string);
    else if (type === 'boolean') written = v === true ? 'T' : 'F';
    // A number that is not defined for this point is left out, never written as NaN.
    else if (typeof v === 'number' && Number.isFinite(v)) written = String(v);
    else continue;
    text += text.length > 0 ? `,${key}=${written}` : `${key}=${written}`;
  }
  return text;
}

/** Fields of a model-level point: names from the point, so sorted here (a later kind wins). */
function modelFields(r: WindowModelPoint): string {
  const values = new Map<string, string>([
    ['n', intText('n', r.n)],
    ['missing', intText('missing', r.missing)],
  ]);
  const start = windowStartOf(r);
  if (start !== undefined) values.set('window_start', intText('window_start', start));
  for (const [name, v] of Object.entries(r.ints)) values.set(name, intText(name, v));
  for (const [name, v] of Object.entries(r.floats)) {
    if (v !== null && Number.isFinite(v)) values.set(name, String(v));
  }
  for (const [name, v] of Object.entries(r.strings)) values.set(name, quoted(v));
  const names = [...values.keys()].filter((name) => name !== '').sort();
  return names.map((name) => `${escape(name, TAG)}=${values.get(name) as string}`).join(',');
}

/** The client's intField: an integer below 2^63 in magnitude, floored, with an `i`. */
function intText(key: string, n: number): string {
  if (Number.isNaN(n) || n <= -9223372036854776e3 || n >= 9223372036854776e3) {
    throw new Error(`invalid integer value for field '${key}': '${n}'!`);
  }
  return `${Math.floor(n)}i`;
}

/** A tag; the client leaves out a tag whose value is empty. */
function tag(key: string, value: string): string {
  return value ? `,${key}=${escape(value, TAG)}` : '';
}

const MEASUREMENT = /[, \n\r\t]/g;
const TAG = /[, =\n\r\t]/g;
const QUOTED = /["\\]/g;
const ESCAPES: Readonly<Record<string, string>> = {
  ',': '\\,',
  ' ': '\\ ',
  '=': '\\=',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '"': '\\"',
  '\\': '\\\\',
};
const escapeOne = (c: string) => ESCAPES[c] as string;

function escape(text: string, special: RegExp): string {
  special.lastIndex = 0;
  return special.test(text) ? text.replace(special, escapeOne) : text;
}

function quoted(text: string): string {
  return `"${escape(text, QUOTED)}"`;
}
