import { crc32 } from 'node:zlib';
import type { Baseline } from '../baseline/baseline.js';
import { DriftwatchError } from '../errors.js';
import { preview } from '../shared/untrusted-text.js';
import { Window } from '../windows/window.js';
import { readAggregate, writeAggregate } from './aggregate-codec.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { readOps, writeOps } from './ops-codec.js';
import { readQuality, writeQuality } from './quality-codec.js';
import { readDelayedQuality, writeDelayedQuality } from './settled-codec.js';
import type { DelayedQuality } from '../drift/quality-points.js';
import type { WindowQuality } from '../windows/window-quality.js';
import { WindowOps } from '../windows/window-ops.js';

/**
 * Records of the `<groupId>.partials` topic (scale-design.md): a window partial (one input
 * partition's aggregates of one window), a batch of progress records, or a window's settled
 * delayed quality (settled-codec.ts). Layout:
 *
 *   format version (u8 = 5) · kind (u8: 1 partial, 2 progress, 3 settled) · body · CRC-32 (u32, of
 *   everything before it)
 *
 * Format 2 adds a numeric feature holding its values (aggregate-codec.ts); format 3 adds to an
 * idle claim the input offset it was made at (stage 2 checks it against the log end before it
 * closes a window on the claim); format 4 adds to a numeric feature its out-of-range counts
 * (a flag, then four varints); format 5 adds after the features the window's ops (errors,
 * latency sketch, predictions, wrong types, new features: ops-codec.ts). Records of older formats (left in the topic by an earlier
 * release) read as before, and a release that reads only older formats refuses a newer record
 * by name instead of misreading it.
 *
 * Partial body: model, model version, baseline model, baseline version, baseline hash
 * (strings), window start and end (float64), events, long categories, source (varints),
 * feature count (varint) and per feature, in the baseline's order, its kind and aggregate
 * state (aggregate-codec.ts). Progress body: a count, then per record the source (varint),
 * watermark (float64), idle (u8 0/1), idle-until (float64) and, from format 3, the idle end
 * offset plus one (varint; 0: none).
 *
 * Floats travel as IEEE bits, so a decoded window merges and evaluates bit-identically to
 * the one encoded. The checksum makes a corrupt record unreadable rather than a window with
 * wrong numbers (Kafka checks its batches, but not what a buggy producer put in them).
 */

export const PARTIALS_FORMAT_VERSION = 5;
/** What a replica writes (scale.partialsFormat); it reads every one of them. */
export type PartialsFormat = 1 | 2 | 3 | 4 | 5;
const READABLE_VERSIONS: readonly number[] = [1, 2, 3, 4, 5];
const KIND_PARTIAL = 1;
const KIND_PROGRESS = 2;
const KIND_SETTLED = 3;
const HEADER_BYTES = 2;
const CRC_BYTES = 4;
/** source (≥ 1) + watermark (8) + idle (1) + idle-until (8). */
const MIN_PROGRESS = 18;

/** Where one input partition's event time stands, sent to every partials partition. */
export interface SourceProgress {
  source: number;
  /** −Infinity before the partition's first event. */
  watermark: number;
  idle: boolean;
  idleUntil: number;
  /**
   * An idle claim's log end offset of the input partition: the claim says nothing up to it is
   * left to read, so it stops holding once the log grows past it. Undefined when not idle, or
   * when a format 1 or 2 writer left it out (the claim is then trusted until idleUntil).
   */
  idleEnd?: number;
}

export type PartialsRecord =
  | { kind: 'partial'; source: number; window: Window }
  | { kind: 'progress'; records: SourceProgress[] }
  | { kind: 'settled'; quality: DelayedQuality };

/** Finds the baseline a partial was built against; undefined when not loaded here. */
export type BaselineLookup = (model: string, version: string, hash: string) => Baseline | undefined;

function record(
  kind: number,
  body: (out: ByteWriter) => void,
  format: PartialsFormat = PARTIALS_FORMAT_VERSION,
): Buffer {
  const out = new ByteWriter();
  out.u8(format);
  out.u8(kind);
  body(out);
  out.u32(crc32(out.written()));
  return Buffer.from(out.written());
}

/** The partial of input partition `source` for `window` (which saw only that source). */
export function encodePartial(
  window: Window,
  source: number,
  format: PartialsFormat = PARTIALS_FORMAT_VERSION,
): Buffer {
  return record(
    KIND_PARTIAL,
    (out) => {
      const { baseline } = window;
      for (const text of [
        window.model,
        window.modelVersion,
        baseline.model,
        baseline.modelVersion,
        baseline.hash,
      ]) {
        out.string(text);
      }
      out.f64(window.start);
      out.f64(window.end);
      out.varint(window.events);
      out.varint(window.longCategories);
      out.varint(source);
      const aggregates = window.featureAggregates();
      out.varint(aggregates.size);
      for (const aggregate of aggregates.values()) writeAggregate(out, aggregate, format);
      if (format >= 5) {
        writeOps(out, window.ops);
        writeQuality(out, window.quality);
      }
    },
    format,
  );
}

export function encodeProgress(
  records: readonly SourceProgress[],
  format: PartialsFormat = PARTIALS_FORMAT_VERSION,
): Buffer {
  return record(
    KIND_PROGRESS,
    (out) => {
      out.varint(records.length);
      for (const r of records) {
        out.varint(r.source);
        out.f64(r.watermark);
        out.u8(r.idle ? 1 : 0);
        out.f64(r.idleUntil);
        if (format >= 3) out.varint(r.idle && r.idleEnd !== undefined ? r.idleEnd + 1 : 0);
      }
    },
    format,
  );
}

/**
 * A window's delayed quality, settled (the quality writer hands it to the partition of its
 * model for the alert rules). Written in the current format only: a release without kind 3
 * refuses it by name (counted and logged there; its alert rules do not read delayed quality).
 */
export function encodeSettledQuality(d: DelayedQuality): Buffer {
  return record(KIND_SETTLED, (out) => writeDelayedQuality(out, d));
}

/** Runs `read`, turning any failure but a typed one into PARTIAL_UNREADABLE. */
function guarded<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof DriftwatchError) throw error;
    throw new DriftwatchError(
      'PARTIAL_UNREADABLE',
      `partials record unreadable: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** Checks the checksum, version and kind; returns a reader over the body. */
function open(bytes: Uint8Array): { version: number; kind: number; body: ByteReader } {
  if (bytes.length < HEADER_BYTES + CRC_BYTES) {
    throw new DriftwatchError(
      'PARTIAL_UNREADABLE',
      `partials record unreadable: ${bytes.length} bytes, shorter than any record`,
    );
  }
  const end = bytes.length - CRC_BYTES;
  const stored = new DataView(bytes.buffer, bytes.byteOffset + end, CRC_BYTES).getUint32(0);
  const content = bytes.subarray(0, end);
  if (crc32(content) !== stored) {
    throw new DriftwatchError(
      'PARTIAL_UNREADABLE',
      `partials record unreadable: checksum mismatch over ${bytes.length} bytes`,
    );
  }
  const body = new ByteReader(content);
  const version = body.u8('format version');
  if (!READABLE_VERSIONS.includes(version)) {
    body.fail(
      'format version',
      `is ${version}, this driftwatch reads ${READABLE_VERSIONS.join(' and ')}`,
    );
  }
  return { version, kind: body.u8('record kind'), body };
}

function readProgress(body: ByteReader, version: number): SourceProgress[] {
  const records: SourceProgress[] = [];
  for (let n = body.count('progress records', MIN_PROGRESS); n > 0; n--) {
    const source = body.varint('progress source');
    const watermark = body.f64('watermark');
    const idle = body.u8('idle flag');
    const idleUntil = body.f64('idle-until');
    if (idle > 1) body.fail('idle flag', `is ${idle}`);
    if (Number.isNaN(watermark) || Number.isNaN(idleUntil)) body.fail('progress', 'holds NaN');
    const progress: SourceProgress = { source, watermark, idle: idle === 1, idleUntil };
    const endPlusOne = version >= 3 ? body.varint('idle end') : 0;
    if (idle === 1 && endPlusOne > 0) progress.idleEnd = endPlusOne - 1;
    records.push(progress);
  }
  return records;
}

function readPartialHead(body: ByteReader) {
  const [model, modelVersion, baselineModel, baselineVersion, hash] = [
    'model',
    'model version',
    'baseline model',
    'baseline version',
    'baseline hash',
  ].map((what) => body.string(what)) as [string, string, string, string, string];
  const start = body.f64('window start');
  const end = body.f64('window end');
  if (!(Number.isFinite(start) && Number.isFinite(end) && start < end)) {
    body.fail('window', `[${start}, ${end}) is not a window`);
  }
  const events = body.varint('events');
  const longCategories = body.varint('long categories');
  const source = body.varint('source');
  return {
    model,
    modelVersion,
    baselineModel,
    baselineVersion,
    hash,
    start,
    end,
    events,
    longCategories,
    source,
  };
}

function readPartialBody(
  body: ByteReader,
  head: ReturnType<typeof readPartialHead>,
  baseline: Baseline,
  version: number,
): Window {
  const size = baseline.features.size;
  const features = body.varint('feature count');
  if (features !== size) {
    body.fail('feature count', `is ${features}, baseline ${baseline.hash} has ${size}`);
  }
  const aggregates = [...baseline.features].map(([name, reference]) =>
    readAggregate(body, name, reference, version),
  );
  let ops: WindowOps;
  let quality: WindowQuality | undefined;
  if (version >= 5) {
    ops = readOps(body, size);
    quality = readQuality(body);
  } else {
    ops = new WindowOps(size);
    ops.known = false;
  }
  body.end(version >= 5 ? 'the window quality' : 'the last feature');
  return Window.restore({ ...head, baseline }, head, aggregates, ops, quality);
}

/**
 * A record of the partials topic. Throws DriftwatchError only: PARTIAL_BASELINE_UNKNOWN when
 * `lookup` does not know the partial's baseline, PARTIAL_UNREADABLE for anything corrupt,
 * truncated or not matching that baseline. Errors thrown by `lookup` itself pass unchanged.
 */
export function decodePartialsRecord(bytes: Uint8Array, lookup: BaselineLookup): PartialsRecord {
  const { version, kind, body } = guarded(() => open(bytes));
  if (kind === KIND_PROGRESS) {
    return guarded(() => {
      const records = readProgress(body, version);
      body.end('the last progress record');
      return { kind: 'progress', records };
    });
  }
  if (kind === KIND_SETTLED) {
    return guarded(() => ({ kind: 'settled', quality: readDelayedQuality(body) }));
  }
  if (kind !== KIND_PARTIAL) body.fail('record kind', `is ${kind}`);
  const head = guarded(() => readPartialHead(body));
  const baseline = lookup(head.baselineModel, head.baselineVersion, head.hash);
  if (
    baseline === undefined ||
    baseline.hash !== head.hash ||
    baseline.model !== head.baselineModel ||
    baseline.modelVersion !== head.baselineVersion
  ) {
    throw new DriftwatchError(
      'PARTIAL_BASELINE_UNKNOWN',
      `partial of model ${preview(head.model)} version ${preview(head.modelVersion)} was built ` +
        `against baseline model ${preview(head.baselineModel)} version ` +
        `${preview(head.baselineVersion)} hash ${preview(head.hash)}, which is not loaded`,
    );
  }
  const window = guarded(() => readPartialBody(body, head, baseline, version));
  return { kind: 'partial', source: head.source, window };
}

/** A partial record (see decodePartialsRecord); a progress record is PARTIAL_UNREADABLE. */
export function decodePartial(
  bytes: Uint8Array,
  lookup: BaselineLookup,
): { source: number; window: Window } {
  const decoded = decodePartialsRecord(bytes, lookup);
  if (decoded.kind !== 'partial') {
    throw new DriftwatchError(
      'PARTIAL_UNREADABLE',
      'partials record unreadable: a progress record where a partial was expected',
    );
  }
  return { source: decoded.source, window: decoded.window };
}
