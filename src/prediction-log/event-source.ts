import type { TopicInputConfig } from '../config/input.js';
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
  /** The decoder's `prepare`, when it has one: awaited before a batch (of `topic`) is read. */
  prepare?(messages: readonly InputMessage[], from: number, topic: string): Promise<void>;
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
  input: TopicInputConfig,
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

/**
 * Reads each message with its topic's event source (several input topics, each with its own
 * mapping). A batch holds one topic's messages, so the last lookup is kept.
 */
export function routeByTopic(sources: ReadonlyMap<string, EventSource>): EventSource {
  if (sources.size === 1) return [...sources.values()][0] as EventSource;
  let lastTopic: string | undefined;
  let last: EventSource | undefined;
  const routed: EventSource = {
    read(message, topic) {
      if (topic !== lastTopic) {
        last = sources.get(topic);
        lastTopic = topic;
      }
      if (!last) throw new Error(`no input settings for topic ${topic}`);
      return last.read(message, topic);
    },
  };
  // Only when a topic's decoder prepares: plain JSON batches skip the call altogether.
  if ([...sources.values()].some((s) => s.prepare !== undefined)) {
    routed.prepare = (messages, from, topic) =>
      sources.get(topic)?.prepare?.(messages, from, topic) ?? Promise.resolve();
  }
  return routed;
}
