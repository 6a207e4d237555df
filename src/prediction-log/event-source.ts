import type { InputConfig } from '../config/input.js';
import type { EventExtractor, Extraction } from './extract/extractor.js';
import { compileMapping } from './extract/mapping.js';
import { compileOipV2 } from './extract/oip-v2.js';
import {
  jsonPayloadDecoder,
  type DecodedPayload,
  type InputMessage,
  type PayloadDecoder,
} from './payload-decoder.js';
import { decodePredictionLog, defaultShapeExtractor } from './prediction-log.js';

/** The result of reading one message: its events, or why it cannot be used. */
export type ReadResult = Extraction | Extract<DecodedPayload, { ok: false }>;

/** Kafka record → events: a payload decoder followed by an event extractor. */
export interface EventSource {
  /** The decoder's `prepare`, when it has one: awaited before a batch is read. */
  prepare?(messages: readonly InputMessage[], from: number): Promise<void>;
  read(message: InputMessage, topic: string): ReadResult;
}

/**
 * JSON in the default shape: decoding and extraction fused into decodePredictionLog, whose
 * hand-written fast path keeps the default as fast as before the two steps existed.
 */
export const defaultEventSource: EventSource = {
  read: (message) => decodePredictionLog(message.value),
};

/** Any decoder with any extractor (a mapping, a preset, or the default shape). */
export function composeEventSource(
  decoder: PayloadDecoder,
  extractor: EventExtractor,
): EventSource {
  const source: EventSource = {
    read(message, topic) {
      const decoded = decoder.decode(message);
      if (!decoded.ok) return decoded;
      return extractor.extract(decoded.value, decoded.controls, message, topic);
    },
  };
  if (decoder.prepare) source.prepare = decoder.prepare.bind(decoder);
  return source;
}

/**
 * The event source the `input` config asks for. `decoder`: how payload bytes are decoded
 * (JSON unless given); without a mapping, the default shape is extracted from the value.
 */
export function eventSourceFor(
  input: InputConfig,
  decoder: PayloadDecoder = jsonPayloadDecoder,
): EventSource {
  const mapping = input.mapping;
  if (mapping === undefined) {
    return decoder === jsonPayloadDecoder
      ? defaultEventSource
      : composeEventSource(decoder, defaultShapeExtractor);
  }
  const extractor = mapping.preset === 'oip-v2' ? compileOipV2(mapping) : compileMapping(mapping);
  return composeEventSource(decoder, extractor);
}
