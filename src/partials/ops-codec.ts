import { QuantileSketch } from '../../detectors/quantile-sketch.js';
import { MAX_NEW_FEATURE_NAMES, MAX_TRACKED_CLASSES, WindowOps } from '../windows/window-ops.js';
import type { ByteReader, ByteWriter } from './bytes.js';

/**
 * A window's WindowOps in a partial (format 5, after the aggregates): errors, late and future
 * events, invalid latencies (varints); the latency sketch (u8 flag, then alpha, offset, min, max as float64,
 * collapsed u8, zeros and the bucket counts as varints, leading and trailing empty buckets
 * dropped); classes (count, then name + varint each) and the pooled rest; numeric predictions
 * (count, then when any: sums per input partition as varint + float64, min, max); wrong-type counts per baseline feature;
 * new feature names (count, name + varint each) and the rest.
 */
export function writeOps(out: ByteWriter, ops: WindowOps): void {
  out.varint(ops.errors);
  out.varint(ops.lateEvents);
  out.varint(ops.futureEvents);
  out.varint(ops.latencyInvalid);
  writeSketch(out, ops.latency);
  writeCounts(out, ops.classes);
  out.varint(ops.otherClasses);
  out.varint(ops.numericPredictions);
  if (ops.numericPredictions > 0) {
    out.varint(ops.predictionSums.size);
    for (const [partition, sum] of ops.predictionSums) {
      out.varint(partition);
      out.f64(sum);
    }
    out.f64(ops.predictionMin);
    out.f64(ops.predictionMax);
  }
  for (const n of ops.wrongType) out.varint(n);
  writeCounts(out, ops.newFeatures);
  out.varint(ops.otherNewFeatures);
}

export function readOps(body: ByteReader, features: number): WindowOps {
  const ops = new WindowOps(features);
  ops.errors = body.varint('errors');
  ops.lateEvents = body.varint('late events');
  ops.futureEvents = body.varint('future events');
  ops.latencyInvalid = body.varint('invalid latencies');
  ops.latency = readSketch(body);
  readCounts(body, ops.classes, 'classes', MAX_TRACKED_CLASSES);
  ops.otherClasses = body.varint('other classes');
  ops.numericPredictions = body.varint('numeric predictions');
  if (ops.numericPredictions > 0) {
    for (let n = body.count('prediction sums', 9); n > 0; n--) {
      const partition = body.varint('prediction sum partition');
      ops.predictionSums.set(partition, body.f64('prediction sum'));
    }
    ops.predictionMin = body.f64('prediction min');
    ops.predictionMax = body.f64('prediction max');
  }
  for (let i = 0; i < features; i++) ops.wrongType[i] = body.varint('wrong-type count');
  readCounts(body, ops.newFeatures, 'new features', MAX_NEW_FEATURE_NAMES);
  ops.otherNewFeatures = body.varint('other new features');
  return ops;
}

function writeCounts(out: ByteWriter, counts: ReadonlyMap<string, number>): void {
  out.varint(counts.size);
  for (const [name, n] of counts) {
    out.string(name);
    out.varint(n);
  }
}

function readCounts(body: ByteReader, into: Map<string, number>, what: string, max: number): void {
  for (let n = body.count(what, 2, max); n > 0; n--) {
    const name = body.string(`${what} name`);
    into.set(name, body.varint(`${what} count`));
  }
}

function writeSketch(out: ByteWriter, sketch: QuantileSketch | null): void {
  if (!sketch || sketch.n === 0) {
    out.u8(0);
    return;
  }
  out.u8(1);
  const state = sketch.toState();
  let first = 0;
  let last = state.counts.length;
  while (first < last && state.counts[first] === 0) first++;
  while (last > first && state.counts[last - 1] === 0) last--;
  out.f64(state.alpha);
  out.f64(state.offset + first);
  out.f64(state.min);
  out.f64(state.max);
  out.u8(state.collapsed ? 1 : 0);
  out.varint(state.zeros);
  out.varint(last - first);
  for (let i = first; i < last; i++) out.varint(state.counts[i] as number);
}

function readSketch(body: ByteReader): QuantileSketch | null {
  const present = body.u8('latency flag');
  if (present === 0) return null;
  if (present !== 1) body.fail('latency flag', `is ${present}`);
  const alpha = body.f64('latency alpha');
  const offset = body.f64('latency offset');
  const min = body.f64('latency min');
  const max = body.f64('latency max');
  const collapsed = body.u8('latency collapsed');
  const zeros = body.varint('latency zeros');
  if (!(alpha > 0 && alpha < 1) || !Number.isInteger(offset) || !(min <= max)) {
    body.fail('latency sketch', `alpha ${alpha}, offset ${offset}, [${min}, ${max}]`);
  }
  const counts = new Float64Array(body.count('latency buckets', 1));
  for (let i = 0; i < counts.length; i++) counts[i] = body.varint('latency bucket');
  return QuantileSketch.fromState({
    alpha,
    offset,
    counts,
    zeros,
    min,
    max,
    collapsed: collapsed === 1,
  });
}
