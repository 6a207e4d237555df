import { z } from 'zod';
import { timestampSchema } from '../prediction-log/prediction-log.js';
import { formatIssues } from '../zod-issues.js';

/** Characters of a prediction id: longer ones are refused (the join holds every pending id). */
export const MAX_ID_LENGTH = 256;

/** A label as the user produces it to `labels.topic` (README "Model quality (delayed labels)"). */
const labelMessageSchema = z.object({
  id: z.string().min(1).max(MAX_ID_LENGTH),
  label: z.union([z.string().max(MAX_ID_LENGTH), z.number().finite(), z.boolean()]),
  timestamp: timestampSchema,
});

export type LabelValue = string | number | boolean;

export interface LabelMessage {
  id: string;
  label: LabelValue;
  /** The label's time (ms): it moves the join's clock and times a label that waits. */
  time: number;
}

/** Why a label message is refused: the `reason` label of driftwatch_labels_invalid_total. */
export type LabelRefusalReason = 'empty' | 'not_json' | 'invalid' | 'future_timestamp';

export type LabelParse =
  { ok: true; label: LabelMessage } | { ok: false; reason: LabelRefusalReason; detail: string };

/**
 * Reads one message of the labels topic; never throws. `futureLimit`: the latest time a label
 * may carry (its clock would otherwise expire every pending prediction at once).
 */
export function parseLabelMessage(value: Buffer | null, futureLimit: number): LabelParse {
  if (value === null || value.length === 0) {
    return { ok: false, reason: 'empty', detail: 'message has no value' };
  }
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'not_json', detail: `not valid JSON: ${(err as Error).message}` };
  }
  const parsed = labelMessageSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      reason: 'invalid',
      detail: `not a valid label:\n${formatIssues(parsed.error.issues)}`,
    };
  }
  const { id, label, timestamp } = parsed.data;
  if (timestamp > futureLimit) {
    return {
      ok: false,
      reason: 'future_timestamp',
      detail: `timestamp ${timestamp} is more than windows.maxFutureSkew ahead of the clock`,
    };
  }
  return { ok: true, label: { id, label, time: timestamp } };
}
