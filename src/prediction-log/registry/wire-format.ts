/**
 * The Confluent Schema Registry wire format: byte 0 is the magic byte 0, bytes 1–4 the schema
 * id (big-endian), then the payload. Protobuf payloads start with the message indexes: which
 * message type of the schema (a path through nested types) the bytes are.
 */
export const MAGIC_BYTE = 0;
export const HEADER_LENGTH = 5;

/** The schema id of a wire-format message, or -1 when it has no wire-format header. */
export function schemaIdOf(bytes: Buffer | null): number {
  if (bytes === null || bytes.length < HEADER_LENGTH || bytes[0] !== MAGIC_BYTE) return -1;
  // Confluent ids are positive int32s; a negative one is no id the registry hands out.
  const id = bytes.readInt32BE(1);
  return id < 0 ? -1 : id;
}

/** Where the index list ends and the message bytes start, and the path it names. */
export interface MessageIndexes {
  indexes: readonly number[];
  /** Offset of the protobuf message bytes in the buffer. */
  next: number;
}

/** More levels of nesting than any schema has: a longer list is garbage, not a path. */
export const MAX_MESSAGE_INDEXES = 64;

/** The first message type of the schema: the index list `[0]`, written as one 0 byte. */
const FIRST: readonly number[] = [0];

/**
 * Reads the message-index list at `offset`: a count, then that many indexes, each a zigzag
 * varint (a count of 0 means `[0]`, the common case of one message type). Undefined when the
 * bytes are no valid list (truncated, negative, too long).
 */
export function readMessageIndexes(bytes: Buffer, offset: number): MessageIndexes | undefined {
  const count = readZigzagVarint(bytes, offset);
  if (count === undefined || count.value < 0 || count.value > MAX_MESSAGE_INDEXES) {
    return undefined;
  }
  if (count.value === 0) return { indexes: FIRST, next: count.next };
  const indexes: number[] = [];
  let at = count.next;
  for (let i = 0; i < count.value; i++) {
    const index = readZigzagVarint(bytes, at);
    if (index === undefined || index.value < 0) return undefined;
    indexes.push(index.value);
    at = index.next;
  }
  return { indexes, next: at };
}

/** A zigzag-encoded 32-bit varint (protobuf's sint32) at `offset`, and the offset after it. */
export function readZigzagVarint(
  bytes: Buffer,
  offset: number,
): { value: number; next: number } | undefined {
  let raw = 0;
  for (let i = 0; i < 5; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined) return undefined;
    raw |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) === 0) {
      return { value: (raw >>> 1) ^ -(raw & 1), next: offset + i + 1 };
    }
  }
  return undefined;
}

/** Zigzag varint bytes of `value` (tests and tools write index lists with it). */
export function writeZigzagVarint(value: number): number[] {
  let raw = ((value << 1) ^ (value >> 31)) >>> 0;
  const out: number[] = [];
  while (raw > 0x7f) {
    out.push((raw & 0x7f) | 0x80);
    raw >>>= 7;
  }
  out.push(raw);
  return out;
}
