import {
  CategoricalAggregate,
  MAX_UNSEEN_CATEGORIES,
  NumericAggregate,
  type CategoricalAggregateState,
  type CategoricalReference,
  type FeatureAggregate,
  type FeatureReference,
  CELL_STRIDE,
  forEachCell,
  type NumericAggregateState,
  type NumericReference,
  type OutOfRangeState,
  type SourceFloatsState,
} from '../../detectors/index.js';
import type { ByteReader, ByteWriter } from './bytes.js';

/**
 * One feature's aggregate state in the partials format. Counts and indices are varints,
 * floats and the fixed-point words float64; sparse vectors list (gap, value) pairs, the gap
 * being the distance to the previous non-zero entry less one (so the first gap is its index).
 * Lengths come from the baseline, which both sides hold (same hash), so they are not written.
 */

const KIND_NUMERIC = 0;
const KIND_CATEGORICAL = 1;
/** A numeric aggregate holding its values (format 2): the values as float64, count of them. */
const KIND_NUMERIC_HELD = 2;

/** Flags of a KS cell: which of its slots are non-zero, in slot order. */
const CELL_BELOW = 1;
const CELL_SUM_LO = 2;
const CELL_SUM_HI = 4;
const CELL_EQUAL = 8;

/** Format 4: whether a numeric aggregate's out-of-range counts follow (absent: unknown). */
const RANGE_ABSENT = 0;
const RANGE_COUNTS = 1;

/** Smallest encodings, to bound entry counts by the bytes left. */
const MIN_SPARSE_ENTRY = 2;
const MIN_CELL = 3;
const MIN_SOURCE = 2 + 6 * 8;
const MIN_UNSEEN = 2;

function writeSparseCounts(out: ByteWriter, counts: Float64Array): void {
  let nonZero = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i] !== 0) nonZero++;
  out.varint(nonZero);
  let next = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0) continue;
    out.varint(i - next);
    out.varint(counts[i] as number);
    next = i + 1;
  }
}

function readSparseCounts(input: ByteReader, what: string, length: number): Float64Array {
  const n = input.count(`${what} entries`, MIN_SPARSE_ENTRY, length);
  const counts = new Float64Array(length);
  let next = 0;
  for (let e = 0; e < n; e++) {
    const i = next + input.index(`${what} index`, length - next);
    const count = input.varint(`${what}[${i}]`);
    if (count === 0) input.fail(`${what}[${i}]`, 'is listed but zero');
    counts[i] = count;
    next = i + 1;
  }
  return counts;
}

function writeNumeric(out: ByteWriter, state: NumericAggregateState, format: number): void {
  out.varint(state.count);
  out.varint(state.missing);
  out.varint(state.nonFinite);
  writeSparseCounts(out, state.binCounts);
  if (state.ks.form === 'held') {
    const values = state.ks.values;
    for (let i = 0; i < values.length; i++) out.f64(values[i] as number);
  } else writeCells(out, state.ks.cells);
  out.varint(state.sources.length);
  let next = 0;
  for (const s of state.sources) {
    out.varint(s.source - next);
    next = s.source + 1;
    out.varint(s.n);
    for (const x of [s.mean, s.m2, s.min, s.max, s.below, s.above]) out.f64(x);
  }
  if (format < 4) return;
  const range = state.outOfRange;
  out.u8(range === undefined ? RANGE_ABSENT : RANGE_COUNTS);
  if (range === undefined) return;
  out.varint(range.belowMin);
  out.varint(range.aboveMax);
  out.varint(range.belowLow);
  out.varint(range.aboveHigh);
}

/** Formats 1–3 carry no counts: the window's out-of-range counts are unknown. */
function readOutOfRange(input: ByteReader, format: number): OutOfRangeState | undefined {
  if (format < 4) return undefined;
  const flag = input.u8('out-of-range flag');
  if (flag === RANGE_ABSENT) return undefined;
  if (flag !== RANGE_COUNTS) input.fail('out-of-range flag', `is ${flag}`);
  return {
    belowMin: input.varint('values below the training minimum'),
    aboveMax: input.varint('values above the training maximum'),
    belowLow: input.varint('values below the training 0.1 % quantile'),
    aboveHigh: input.varint('values above the training 99.9 % quantile'),
  };
}

function writeCells(out: ByteWriter, cells: Float64Array): void {
  out.varint(cells.length / CELL_STRIDE);
  let next = 0;
  forEachCell(cells, (k, below, sumLo, sumHi, equal) => {
    out.varint(k - next);
    next = k + 1;
    out.u8(
      (below !== 0 ? CELL_BELOW : 0) |
        (sumLo !== 0 ? CELL_SUM_LO : 0) |
        (sumHi !== 0 ? CELL_SUM_HI : 0) |
        (equal !== 0 ? CELL_EQUAL : 0),
    );
    if (below !== 0) out.varint(below);
    if (sumLo !== 0) out.f64(sumLo);
    if (sumHi !== 0) out.f64(sumHi);
    if (equal !== 0) out.varint(equal);
  });
}

function readCells(input: ByteReader, slots: number): Float64Array {
  const listed = input.count('KS cells', MIN_CELL, slots);
  const cells = new Float64Array(listed * CELL_STRIDE);
  let next = 0;
  for (let c = 0; c < cells.length; c += CELL_STRIDE) {
    const k = next + input.index('KS cell index', slots - next);
    const flags = input.u8(`KS cell ${k} flags`);
    if (flags === 0 || flags > 15) input.fail(`KS cell ${k} flags`, `are ${flags}`);
    cells[c] = k;
    if (flags & CELL_BELOW) cells[c + 1] = input.varint(`KS cell ${k} count`);
    if (flags & CELL_SUM_LO) cells[c + 2] = input.f64(`KS cell ${k} sum`);
    if (flags & CELL_SUM_HI) cells[c + 3] = input.f64(`KS cell ${k} sum`);
    if (flags & CELL_EQUAL) cells[c + 4] = input.varint(`KS cell ${k} ties`);
    next = k + 1;
  }
  return cells;
}

function readSource(input: ByteReader, source: number): SourceFloatsState {
  const n = input.varint(`source ${source} count`);
  const [mean, m2, min, max, below, above] = Array.from({ length: 6 }, () =>
    input.f64(`source ${source} moments`),
  ) as [number, number, number, number, number, number];
  return { source, n, mean, m2, min, max, below, above };
}

function readNumeric(
  input: ByteReader,
  reference: NumericReference,
  held: boolean,
  format: number,
): NumericAggregateState {
  const count = input.varint('count');
  const missing = input.varint('missing');
  const nonFinite = input.varint('non-finite');
  const binCounts = readSparseCounts(input, 'bin counts', reference.cuts.length + 1);
  const u = reference.sample === undefined ? -1 : reference.sample.values.length;
  let ks: NumericAggregateState['ks'];
  if (held) {
    // fromState checks the rest (a reference sample, at most 4(u + 1) finite values).
    if (count > input.remaining / 8) input.fail('KS values', `${count} do not fit the record`);
    const values = new Float64Array(count);
    for (let i = 0; i < count; i++) values[i] = input.f64('KS value');
    ks = { form: 'held', values };
  } else ks = { form: 'cells', cells: readCells(input, u + 1) };
  const sources: SourceFloatsState[] = [];
  let next = 0;
  for (let s = input.count('sources', MIN_SOURCE); s > 0; s--) {
    const source = next + input.varint('source');
    if (!Number.isSafeInteger(source)) input.fail('source', 'exceeds 2^53 − 1');
    sources.push(readSource(input, source));
    next = source + 1;
  }
  const outOfRange = readOutOfRange(input, format);
  return { kind: 'numeric', count, missing, nonFinite, binCounts, ks, sources, outOfRange };
}

function writeCategorical(out: ByteWriter, state: CategoricalAggregateState): void {
  out.varint(state.missing);
  writeSparseCounts(out, state.counts);
  out.varint(state.unseen.length);
  for (const [key, count] of state.unseen) {
    out.string(key);
    out.varint(count);
  }
}

function readCategorical(
  input: ByteReader,
  reference: CategoricalReference,
): CategoricalAggregateState {
  const missing = input.varint('missing');
  const counts = readSparseCounts(input, 'category counts', reference.categories.length);
  const unseen: [string, number][] = [];
  // The cap plus the overflow bucket; fromState checks the finer rules.
  for (
    let u = input.count('unseen categories', MIN_UNSEEN, MAX_UNSEEN_CATEGORIES + 1);
    u > 0;
    u--
  ) {
    const key = input.string('unseen category');
    unseen.push([key, input.varint('unseen category count')]);
  }
  return { kind: 'categorical', missing, counts, unseen };
}

/** `format` 1 has no held values: a window holding them is written as its cells. */
export function writeAggregate(out: ByteWriter, aggregate: FeatureAggregate, format: number): void {
  if (aggregate instanceof NumericAggregate) {
    let state = aggregate.toState();
    if (format === 1 && state.ks.form === 'held') {
      state = { ...state, ks: { form: 'cells', cells: aggregate.ksCells() } };
    }
    out.u8(state.ks.form === 'held' ? KIND_NUMERIC_HELD : KIND_NUMERIC);
    writeNumeric(out, state, format);
  } else {
    out.u8(KIND_CATEGORICAL);
    writeCategorical(out, aggregate.toState());
  }
}

/**
 * The aggregate of the feature `name` against its `reference`, as `format` wrote it. A state that does not fit the
 * reference makes fromState throw DetectorInputError (the caller turns it into
 * PARTIAL_UNREADABLE).
 */
export function readAggregate(
  input: ByteReader,
  name: string,
  reference: FeatureReference,
  format: number,
): FeatureAggregate {
  const kind = input.u8(`kind of feature ${name}`);
  const numeric = kind === KIND_NUMERIC || kind === KIND_NUMERIC_HELD;
  if (numeric !== (reference.kind === 'numeric') || (!numeric && kind !== KIND_CATEGORICAL)) {
    input.fail(`kind of feature ${name}`, `is ${kind}, the baseline's is ${reference.kind}`);
  }
  return reference.kind === 'numeric'
    ? NumericAggregate.fromState(
        reference,
        readNumeric(input, reference, kind === KIND_NUMERIC_HELD, format),
      )
    : CategoricalAggregate.fromState(reference, readCategorical(input, reference));
}
