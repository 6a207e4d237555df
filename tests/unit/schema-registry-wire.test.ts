import { describe, expect, it } from 'vitest';
import {
  HEADER_LENGTH,
  MAX_MESSAGE_INDEXES,
  readMessageIndexes,
  readZigzagVarint,
  schemaIdOf,
  writeZigzagVarint,
} from '../../src/prediction-log/registry/wire-format.js';
import { wireHeader } from '../support/registry-schemas.js';

describe('Confluent wire format: the header', () => {
  it('reads the schema id after the magic byte, big-endian', () => {
    expect(schemaIdOf(Buffer.concat([wireHeader(1), Buffer.from('x')]))).toBe(1);
    expect(schemaIdOf(wireHeader(0x01020304))).toBe(0x01020304);
    expect(schemaIdOf(wireHeader(0))).toBe(0);
  });

  it('finds no header in a message without the magic byte, too short, empty, or with a negative id', () => {
    expect(schemaIdOf(Buffer.from('{"model":"fraud"}'))).toBe(-1);
    expect(schemaIdOf(Buffer.from([0, 0, 0, 1]))).toBe(-1);
    expect(schemaIdOf(Buffer.alloc(0))).toBe(-1);
    expect(schemaIdOf(null)).toBe(-1);
    expect(schemaIdOf(Buffer.from([0, 0xff, 0xff, 0xff, 0xff]))).toBe(-1);
    expect(HEADER_LENGTH).toBe(5);
  });
});

describe('Confluent wire format: the Protobuf message-index list', () => {
  it('round-trips zigzag varints (protobuf sint32)', () => {
    for (const n of [0, 1, -1, 2, 63, 64, -64, -65, 300, 2 ** 31 - 1, -(2 ** 31)]) {
      const bytes = Buffer.from(writeZigzagVarint(n));
      expect(readZigzagVarint(bytes, 0)).toEqual({ value: n, next: bytes.length });
    }
    expect(writeZigzagVarint(0)).toEqual([0]);
    expect(writeZigzagVarint(-1)).toEqual([1]);
    expect(writeZigzagVarint(1)).toEqual([2]);
    expect(writeZigzagVarint(64)).toEqual([0x80, 0x01]);
  });

  it('reads a single 0 byte as [0], the first message type', () => {
    const bytes = Buffer.from([0, 0x0a, 0x01]);
    expect(readMessageIndexes(bytes, 0)).toEqual({ indexes: [0], next: 1 });
  });

  it('reads a count followed by that many indexes, from an offset', () => {
    const list = [...writeZigzagVarint(3), ...writeZigzagVarint(1), ...writeZigzagVarint(0)];
    const bytes = Buffer.from([9, 9, ...writeZigzagVarint(2), ...list.slice(1), 0x42]);
    expect(readMessageIndexes(bytes, 2)).toEqual({ indexes: [1, 0], next: bytes.length - 1 });
    const big = Buffer.from([...writeZigzagVarint(1), ...writeZigzagVarint(200)]);
    expect(readMessageIndexes(big, 0)).toEqual({ indexes: [200], next: big.length });
  });

  it('refuses a truncated, negative, over-long or endless list', () => {
    expect(readMessageIndexes(Buffer.from([]), 0)).toBeUndefined();
    expect(readMessageIndexes(Buffer.from(writeZigzagVarint(2)), 0)).toBeUndefined();
    expect(readMessageIndexes(Buffer.from(writeZigzagVarint(-1)), 0)).toBeUndefined();
    expect(
      readMessageIndexes(Buffer.from([...writeZigzagVarint(1), ...writeZigzagVarint(-3)]), 0),
    ).toBeUndefined();
    expect(
      readMessageIndexes(Buffer.from(writeZigzagVarint(MAX_MESSAGE_INDEXES + 1)), 0),
    ).toBeUndefined();
    expect(
      readMessageIndexes(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 0),
    ).toBeUndefined();
  });
});
