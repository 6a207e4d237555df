import { describe, expect, it } from 'vitest';
import { chunkBySize, MAX_SEND_MESSAGES } from '../../src/kafka/dead-letter.js';

const message = (i: number, bytes = 10) => ({ key: `k${i}`, value: 'x'.repeat(bytes) });

describe('sends are split in chunks', () => {
  it('of at most MAX_SEND_MESSAGES small messages, in order, none lost', () => {
    const messages = Array.from({ length: 2 * MAX_SEND_MESSAGES + 7 }, (_, i) => message(i));
    const chunks = chunkBySize(messages, 512 * 1024);
    expect(chunks.map((c) => c.length)).toEqual([MAX_SEND_MESSAGES, MAX_SEND_MESSAGES, 7]);
    expect(chunks.flat()).toEqual(messages);
  });

  it('of at most maxBytes, a larger message alone', () => {
    const chunks = chunkBySize([message(0, 100), message(1, 100), message(2, 5_000)], 400);
    expect(chunks.map((c) => c.map((m) => m.key))).toEqual([['k0', 'k1'], ['k2']]);
  });
});
