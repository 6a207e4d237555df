import { describe, expect, it } from 'vitest';
import { newClusterId } from '../../scripts/services/kafka.js';

describe('native services', () => {
  it('never gives Kafka a cluster id its argument parser would read as an option', () => {
    // 1 in 64 base64url ids starts with "-": 20,000 draws would all but surely hit one.
    for (let i = 0; i < 20_000; i++) {
      const id = newClusterId();
      expect(id.startsWith('-')).toBe(false);
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    }
  });
});
