import { z } from 'zod';
import { formatIssues } from '../zod-issues.js';

/** A feature value as logged: null (or absent) means missing. */
export type FeatureValue = number | string | boolean | null;

const featureValue = z.union([z.number(), z.string(), z.boolean(), z.null()]);

const timestamp = z.union([
  z.number().finite().nonnegative(),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);

/** The default prediction log shape (design.md, contract 1). */
export const predictionLogSchema = z.object({
  model: z.string().min(1),
  model_version: z.union([z.string().min(1), z.number()]).transform(String),
  timestamp,
  id: z.string().optional(),
  features: z.record(z.string(), featureValue),
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
