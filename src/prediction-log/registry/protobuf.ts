import protobuf from 'protobufjs';
import { readMessageIndexes } from './wire-format.js';
import { errorText, mismatch, type SchemaDecode } from './registered-schema.js';

/** Message types directly inside a namespace, in declaration order (enums are not counted). */
function messageTypes(ns: protobuf.NamespaceBase): protobuf.Type[] {
  return ns.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type);
}

/**
 * How a decoded message becomes a JS value: 64-bit integers as numbers, enums by name, field
 * names as written in the schema (so `model_version` stays `model_version`). Proto3 scalars
 * left at zero are present with their zero value; unset `optional` fields are absent (missing).
 */
const TO_OBJECT: protobuf.IConversionOptions = {
  longs: Number,
  enums: String,
  bytes: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: false,
};

/**
 * Protobuf through protobufjs (parses .proto text at run time, no generated code). The message
 * indexes after the header say which message type of the file the bytes are.
 */
export function compileProtobuf(text: string): SchemaDecode {
  const parsed = protobuf.parse(text, { keepCase: true });
  // Types from imported files are not there: resolving fails and the schema is unusable.
  parsed.root.resolveAll();
  const file = parsed.package ? parsed.root.lookup(parsed.package) : parsed.root;
  if (!(file instanceof protobuf.Namespace)) throw new Error('the package names no namespace');
  const top = messageTypes(file);
  const first = top[0];
  if (first === undefined) throw new Error('the schema declares no message type');
  return (bytes, offset) => {
    const found = readMessageIndexes(bytes, offset);
    if (found === undefined) {
      return mismatch(
        'PROTOBUF_INDEX_INVALID',
        'the message-index list after the schema id is malformed',
      );
    }
    let type: protobuf.Type | undefined =
      found.indexes.length === 1 ? top[found.indexes[0] as number] : undefined;
    if (found.indexes.length > 1) {
      let level = top;
      for (const index of found.indexes) {
        type = level[index];
        if (type === undefined) break;
        level = messageTypes(type);
      }
    }
    if (type === undefined) {
      return mismatch(
        'PROTOBUF_INDEX_INVALID',
        `the message indexes [${found.indexes.join(', ')}] name no message type of the schema`,
      );
    }
    try {
      const message = type.decode(bytes.subarray(found.next));
      return { ok: true, value: type.toObject(message, TO_OBJECT), controls: true };
    } catch (err) {
      return mismatch(
        'PROTOBUF_INVALID',
        `payload does not decode as ${type.fullName.replace(/^\./, '')}: ${errorText(err)}`,
      );
    }
  };
}
