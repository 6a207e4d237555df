import type { IHeaders } from 'kafkajs';

/** What a decoder and an extractor see of one Kafka record (kafkajs' KafkaMessage fits it). */
export interface InputMessage {
  value: Buffer | null;
  headers?: IHeaders;
  /** The record timestamp, epoch milliseconds as kafkajs gives it (a decimal string). */
  timestamp: string;
}

/** Why a message's bytes could not be decoded; the `code` travels in the dead-letter headers. */
export interface PayloadFailure {
  ok: false;
  code: string;
  reason: string;
}

export type DecodedPayload =
  | {
      ok: true;
      /** The message as a JS value (plain objects, arrays, strings, numbers, booleans, null). */
      value: unknown;
      /**
       * Whether a string in `value` may hold a control character. False lets the limits skip
       * the per-character scan of names (JSON without a backslash or DEL byte cannot hold one).
       */
      controls: boolean;
    }
  | PayloadFailure;

/**
 * Step 1 of reading a message: bytes → a JS value. JSON, or the Schema Registry decoder (Avro,
 * Protobuf, JSON Schema). Never throws on bad input. A decoder that needs I/O (schemas) does
 * it in `prepare`, awaited once per batch before any of its messages is decoded: `decode`
 * stays synchronous, and a decoder without `prepare` (JSON) costs the batch nothing more.
 */
export interface PayloadDecoder {
  /**
   * Makes `decode` ready for `messages` (from index `from`). Rejects when a service it needs
   * cannot answer (an outage: the caller retries the batch, nothing is decoded meanwhile).
   */
  prepare?(messages: readonly InputMessage[], from: number): Promise<void>;
  decode(message: InputMessage): DecodedPayload;
}

/** Messages as UTF-8 JSON text: the default. */
export const jsonPayloadDecoder: PayloadDecoder = {
  decode(message) {
    const bytes = message.value;
    if (bytes === null || bytes.length === 0) {
      return { ok: false, code: 'EMPTY', reason: 'message has no value' };
    }
    try {
      const value: unknown = JSON.parse(bytes.toString('utf8'));
      return { ok: true, value, controls: mayHoldControls(bytes) };
    } catch (err) {
      return { ok: false, code: 'NOT_JSON', reason: `not valid JSON: ${(err as Error).message}` };
    }
  },
};

/**
 * A control character reaches a JSON string only escaped (a backslash), or raw as DEL: without
 * either byte in the message, no string in it can hold one.
 */
export function mayHoldControls(json: Buffer): boolean {
  return json.includes(0x5c) || json.includes(0x7f);
}
