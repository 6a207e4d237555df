import type { Admin, Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { restoreAlertLog } from '../../src/alerting/alert-log.js';
import { createLogger } from '../../src/logger.js';

describe('restoreAlertLog', () => {
  it('reads where the log ends only once the transactional id is taken over (commits then have their markers)', async () => {
    const calls: string[] = [];
    const writer = {
      takeOver: async () => {
        calls.push('take over');
        // The broker answers once the earlier transactions are complete: later, not at once.
        await new Promise((resolve) => setImmediate(resolve));
        calls.push('taken over');
      },
    };
    const admin = {
      fetchTopicOffsets: () => {
        calls.push('end offsets');
        return Promise.resolve([{ partition: 0, offset: '0', high: '0', low: '0' }]);
      },
    } as unknown as Admin;
    const restored = await restoreAlertLog(
      { kafka: {} as Kafka, admin, writer, topic: 'g.alerts' },
      () => undefined,
      createLogger('silent'),
    );
    expect(calls).toEqual(['take over', 'taken over', 'end offsets']);
    expect(restored).toEqual({ records: 0, notifications: 0 });
  });
});
