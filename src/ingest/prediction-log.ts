import { z } from 'zod';
import { formatIssues } from '../zod-issues.js';

/** A feature value as logged: null (or absent) means missing. */
export type FeatureValue = number | string | boolean | null;

function isFeatureValue(v: unknown): v is FeatureValue {
  return v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
}

function isFeatureRecord(v: unknown): v is Record<string, FeatureValue> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  for (const key in v) if (!isFeatureValue((v as Record<string, unknown>)[key])) return false;
  return true;
}

/**
 * One plain loop instead of a zod union per value: the same rule, ~2.5x faster on the hot
 * path (bench/throughput.ts). The message is built only on failure and names the bad key.
 */
const features = z.custom<Record<string, FeatureValue>>(isFeatureRecord, {
  error: (issue) => {
    const input: unknown = issue.input;
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return 'expected an object of feature values';
    }
    const bad = Object.entries(input).find(([, v]) => !isFeatureValue(v));
    return `feature "${bad?.[0]}" must be a number, string, boolean or null`;
  },
});

/** The largest time a JavaScript Date can hold; beyond it no window or ISO string exists. */
const MAX_TIME_MS = 8.64e15;

const timestamp = z.union([
  z.number().finite().nonnegative().max(MAX_TIME_MS),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);

/** The default prediction log shape (design.md, contract 1). */
export const predictionLogSchema = z.object({
  model: z.string().min(1),
  model_version: z.union([z.string().min(1), z.number()]).transform(String),
  timestamp,
  id: z.string().optional(),
  features,
  prediction: z
    .union([z.number(), z.string(), z.boolean(), z.record(z.string(), z.number()), z.null()])
    .optional(),
  label: z.unknown().optional(),
});

export type PredictionLog = z.output<typeof predictionLogSchema>;

/** Why a message could not be used; the `code` travels in the dead-letter headers. */
export type DecodeFailure = { code: 'EMPTY' | 'NOT_JSON' | 'INVALID_LOG'; reason: string };
export type DecodeResult = { ok: true; log: PredictionLog } | ({ ok: false } & DecodeFailure);

export function decodePredictionLog(value: Buffer | null): DecodeResult {
  if (value === null || value.length === 0) {
    return { ok: false, code: 'EMPTY', reason: 'message has no value' };
  }
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return { ok: false, code: 'NOT_JSON', reason: `not valid JSON: ${(err as Error).message}` };
  }
  const result = predictionLogSchema.safeParse(json);
  if (!result.success) {
    return {
      ok: false,
      code: 'INVALID_LOG',
      reason: `not a valid prediction log:\n${formatIssues(result.error.issues)}`,
    };
  }
  return { ok: true, log: result.data };
}
