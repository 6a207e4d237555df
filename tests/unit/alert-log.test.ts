import type { Admin, Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { restoreAlertLog } from '../../src/alerting/alert-log.js';
import { createLogger } from '../../src/logger.js';

describe('restoreAlertLog', () => {
  it('reads where the log ends only once every partition restored is taken over (commits then have their markers)', async () => {
    const calls: string[] = [];
    const writer = (q: number) => ({
      takeOver: async () => {
        calls.push(`take over ${q}`);
        // The broker answers once the earlier transactions are complete: later, not at once.
        await new Promise((resolve) => setImmediate(resolve));
        calls.push(`taken over ${q}`);
      },
    });
    const admin = {
      fetchTopicOffsets: () => {
        calls.push('end offsets');
        return Promise.resolve(
          [0, 1, 2].map((partition) => ({ partition, offset: '0', high: '0', low: '0' })),
        );
      },
    } as unknown as Admin;
    const restored = await restoreAlertLog(
      {
        kafka: {} as Kafka,
        admin,
        topic: 'g.alerts',
        writers: new Map([
          [0, writer(0)],
          [2, writer(2)],
        ]),
      },
      () => undefined,
      createLogger('silent'),
    );
    expect(calls.slice(0, 2).sort()).toEqual(['take over 0', 'take over 2']);
    expect(calls.slice(2, 4).sort()).toEqual(['taken over 0', 'taken over 2']);
    expect(calls.slice(4)).toEqual(['end offsets']);
    expect(restored).toEqual({ records: 0, notifications: 0 });
  });
});
