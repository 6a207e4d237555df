import { z } from 'zod';
import type { AwaitingPrediction } from './pending-predictions.js';
import type { LabelValue } from './label-message.js';

/**
 * The records of `<groupId>.labels-join` (compacted; a partition holds one hash range of ids):
 * `p|<id>` a prediction waiting for its label (stage 1), `l|<id>` a label (the re-key step),
 * `t|<window>` this partition's tally of a window (binary, see src/label-join/tally-codec.ts).
 * A null value is a tombstone: matched, expired or evicted. `r|restore`, always a tombstone, is
 * the join's restore marker (see JoinStage.beforeRestore), skipped by every reader. The join's
 * clock travels with its committed offset (metadata), not as a record.
 */
export type JoinRecordKind = 'p' | 'l' | 't';

export const predictionKey = (id: string): string => `p|${id}`;
export const labelKey = (id: string): string => `l|${id}`;
export const RESTORE_MARKER_KEY = 'r|restore';

/** The kind and the rest of a record key; undefined for a key driftwatch never writes. */
export function splitKey(key: string): { kind: JoinRecordKind; rest: string } | undefined {
  const kind = key[0];
  if (key[1] !== '|' || (kind !== 'p' && kind !== 'l' && kind !== 't')) {
    return undefined;
  }
  return { kind, rest: key.slice(2) };
}

/** The base window a prediction fell in, identified with its model version and baseline. */
export interface WindowIdentity {
  model: string;
  modelVersion: string;
  baselineHash: string;
  start: number;
  end: number;
}

/** A prediction handed to the join: what its label is measured against, and its window. */
export interface JoinPrediction extends AwaitingPrediction {
  baselineHash: string;
  windowStart: number;
  windowEnd: number;
}

const predictionValue = z.object({
  m: z.string().min(1),
  v: z.string(),
  b: z.string(),
  t: z.number().finite(),
  ws: z.number().finite(),
  we: z.number().finite(),
  p: z.union([z.string(), z.number().finite()]),
  s: z.number().finite().nullable(),
  k: z.string().optional(),
});

export function encodePrediction(p: JoinPrediction): Buffer {
  return Buffer.from(
    JSON.stringify({
      m: p.model,
      v: p.modelVersion,
      b: p.baselineHash,
      t: p.time,
      ws: p.windowStart,
      we: p.windowEnd,
      p: p.predicted,
      s: p.score,
      ...(p.positive === undefined ? {} : { k: p.positive }),
    }),
  );
}

export function decodePrediction(id: string, value: Buffer): JoinPrediction | undefined {
  const parsed = predictionValue.safeParse(parseJson(value));
  if (!parsed.success) return undefined;
  const v = parsed.data;
  return {
    id,
    model: v.m,
    modelVersion: v.v,
    baselineHash: v.b,
    time: v.t,
    windowStart: v.ws,
    windowEnd: v.we,
    predicted: v.p,
    score: v.s,
    positive: v.k,
  };
}

const labelValue = z.object({
  l: z.union([z.string(), z.number().finite(), z.boolean()]),
  t: z.number().finite(),
});

export function encodeLabel(label: LabelValue, time: number): Buffer {
  return Buffer.from(JSON.stringify({ l: label, t: time }));
}

export function decodeLabel(value: Buffer): { label: LabelValue; time: number } | undefined {
  const parsed = labelValue.safeParse(parseJson(value));
  return parsed.success ? { label: parsed.data.l, time: parsed.data.t } : undefined;
}

function parseJson(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The labels-join partition of an id: FNV-1a (32 bits) over its UTF-16 code units, modulo the
 * partition count. Stage 1 and the re-key step route by it, so a prediction and its label meet.
 */
export function joinPartition(id: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
