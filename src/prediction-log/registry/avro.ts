import avro from 'avsc';
import { errorText, mismatch, type SchemaDecode } from './registered-schema.js';

/**
 * Avro through avsc (schema-aware binary decoding, no code generation at run time, no
 * dependencies). Records decode to plain-field objects (no methods an extractor would see),
 * unions unwrapped to their value: the same JS shape a JSON message has.
 */
export function compileAvro(text: string): SchemaDecode {
  const type = avro.Type.forSchema(JSON.parse(text) as avro.Schema, {
    wrapUnions: false,
    omitRecordMethods: true,
  });
  return (bytes, offset) => {
    try {
      // Throws on truncated bytes and on trailing data: a payload is exactly one value.
      const value: unknown = type.fromBuffer(bytes.subarray(offset));
      return { ok: true, value, controls: true };
    } catch (err) {
      return mismatch(
        'AVRO_INVALID',
        `payload does not decode with its Avro schema: ${errorText(err)}`,
      );
    }
  };
}
