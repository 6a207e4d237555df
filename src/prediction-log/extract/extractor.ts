import type { InputMessage } from '../payload-decoder.js';
import type { PredictionLog } from '../prediction-log.js';

/** Why a decoded message yields no usable event: a stable code and a reason naming the path. */
export interface ExtractFailure {
  ok: false;
  code: ExtractCode;
  reason: string;
}

/** Refusal codes of the extractors (README "Dead letters"); users match on them. */
export type ExtractCode =
  | 'INVALID_LOG'
  | 'FIELD_TOO_LONG'
  | 'INVALID_NAME'
  | 'TOO_MANY_FEATURES'
  | 'FIELD_MISSING'
  | 'FIELD_INVALID'
  | 'BAD_TIMESTAMP'
  | 'FEATURE_NOT_SCALAR'
  | 'FEATURES_MISMATCH'
  | 'OIP_INVALID'
  | 'OIP_DATATYPE'
  | 'OIP_SHAPE_MISMATCH'
  | 'OIP_BATCH_MISMATCH';

/**
 * The events of one message. One event is returned bare (`log`): the default shape is one event
 * per message, and wrapping it in an array would cost an allocation per event.
 */
export type Extraction =
  | { ok: true; log: PredictionLog; logs?: undefined }
  | { ok: true; log?: undefined; logs: readonly PredictionLog[] }
  | ExtractFailure;

/** Where a message came from, besides its value: what header and topic sources read. */
export interface MessageContext {
  message: InputMessage;
  topic: string;
}

/**
 * Step 2 of reading a message: (decoded value, record metadata) → zero or more events, or a
 * refusal. `controls` comes from the decoder (see DecodedPayload). Never throws on bad input.
 */
export interface EventExtractor {
  extract(value: unknown, controls: boolean, message: InputMessage, topic: string): Extraction;
}

export function refuse(code: ExtractCode, reason: string): ExtractFailure {
  return { ok: false, code, reason };
}
