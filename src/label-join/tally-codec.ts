import type { WindowTally } from '../labels/label-join.js';
import { ByteReader, ByteWriter } from '../partials/bytes.js';
import { readQuality, writeQuality } from '../partials/quality-codec.js';
import { WindowQuality } from '../windows/window-quality.js';

const FORMAT = 1;

/** A join partition's tally of one window, as the join writes it (latest per key wins). */
export interface PartitionTally extends WindowTally {
  /** The labels-join partition that counted it. */
  joinPartition: number;
}

/**
 * Binary: format (u8), model, version, baseline (strings), window start and end (f64), the
 * join partition and the predictions it saw (varints), then the labelled predictions in the
 * partials' quality codec under the join partition's number.
 */
export function encodeTally(t: PartitionTally): Buffer {
  const out = new ByteWriter();
  out.u8(FORMAT);
  out.string(t.model);
  out.string(t.modelVersion);
  out.string(t.baselineHash);
  out.f64(t.start);
  out.f64(t.end);
  out.varint(t.joinPartition);
  out.varint(t.predicted);
  const quality = new WindowQuality();
  quality.partitions.set(t.joinPartition, t.quality);
  writeQuality(out, quality);
  return out.written();
}

/** Throws a DriftwatchError (PARTIAL_UNREADABLE) for bytes it cannot read. */
export function decodeTally(value: Uint8Array): PartitionTally {
  const body = new ByteReader(value);
  const format = body.u8('tally format');
  if (format !== FORMAT) body.fail('tally format', `is ${format}`);
  const model = body.string('model');
  const modelVersion = body.string('model version');
  const baselineHash = body.string('baseline');
  const start = body.f64('window start');
  const end = body.f64('window end');
  const joinPartition = body.varint('join partition');
  const predicted = body.varint('predicted');
  const quality = readQuality(body).partitions.get(joinPartition);
  body.end('tally');
  return {
    model,
    modelVersion,
    baselineHash,
    start,
    end,
    joinPartition,
    predicted,
    quality: quality ?? { classification: null, regression: null, unusable: 0 },
  };
}

/** Key of a tally on `<groupId>.label-quality`: the window and the join partition. */
export function qualityKey(t: PartitionTally): string {
  return JSON.stringify([t.model, t.modelVersion, t.start, t.end, t.joinPartition]);
}

/**
 * Key of a join partition's event-time clock on `<groupId>.label-quality`, written to every
 * partition of it after that partition's tallies: once it passed a window's end + horizon, the
 * join partition's tally of the window is final.
 */
export const clockKey = (j: number): string => JSON.stringify(['clock', j]);

/** Key of the writer's mark on a partition of `<groupId>.label-quality`: the window end it settled up to. */
export const settledKey = (q: number): string => JSON.stringify(['settled', q]);

/** A clock or a settled mark: format (u8), the time (f64, ms). */
export function encodeTime(ms: number): Buffer {
  const out = new ByteWriter();
  out.u8(FORMAT);
  out.f64(ms);
  return out.written();
}

/** Throws a DriftwatchError (PARTIAL_UNREADABLE) for bytes it cannot read. */
export function decodeTime(value: Uint8Array): number {
  const body = new ByteReader(value);
  const format = body.u8('time format');
  if (format !== FORMAT) body.fail('time format', `is ${format}`);
  const ms = body.f64('time');
  body.end('time');
  return ms;
}
