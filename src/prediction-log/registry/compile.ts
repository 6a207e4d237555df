import { compileAvro } from './avro.js';
import { compileJsonSchema } from './json-schema.js';
import { compileProtobuf } from './protobuf.js';
import {
  errorText,
  mismatch,
  type RegisteredSchema,
  type SchemaDecode,
} from './registered-schema.js';

/**
 * A registered schema made ready to decode with. A schema that cannot be used (references to
 * other subjects, text its library refuses) decodes every message to a SCHEMA_UNUSABLE refusal
 * naming the id: its messages go to the dead-letter topic, the rest of the topic goes on.
 */
export function compileSchema(id: number, registered: RegisteredSchema): SchemaDecode {
  try {
    if (registered.references > 0) {
      throw new Error('it references other schemas, which driftwatch does not follow');
    }
    switch (registered.schemaType) {
      case 'AVRO':
        return compileAvro(registered.schema);
      case 'JSON':
        return compileJsonSchema(registered.schema);
      case 'PROTOBUF':
        return compileProtobuf(registered.schema);
      default:
        throw new Error('driftwatch reads AVRO, JSON and PROTOBUF schemas only');
    }
  } catch (err) {
    const refusal = mismatch(
      'SCHEMA_UNUSABLE',
      `schema id ${id} (${registered.schemaType}) cannot be used: ${errorText(err)}`,
    );
    return () => refusal;
  }
}
