import type { DecodedPayload } from '../payload-decoder.js';

/** The schema types of the Confluent API (`schemaType`; absent means Avro). */
export type SchemaType = 'AVRO' | 'JSON' | 'PROTOBUF';

/** A schema as the registry serves it for one id (GET /schemas/ids/{id}). */
export interface RegisteredSchema {
  /** A SchemaType, or whatever else a registry names (such a schema is unusable). */
  schemaType: SchemaType | (string & {});
  schema: string;
  /** Schemas this one imports by subject; not followed (such a schema is unusable). */
  references: number;
}

/**
 * Decodes the payload of one wire-format message (the bytes from `offset`, after the
 * five-byte header) with a compiled schema. Never throws on bad input.
 */
export type SchemaDecode = (bytes: Buffer, offset: number) => DecodedPayload;

/** A message whose payload does not match its schema: its dead-letter code and reason. */
export function mismatch(code: string, reason: string): DecodedPayload {
  return { ok: false, code, reason };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
