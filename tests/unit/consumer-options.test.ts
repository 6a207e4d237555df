import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { predictionConsumerOptions } from '../../src/kafka/consumer-options.js';

function kafkaSettings(extra: string) {
  const text = `kafka:
  brokers: ["127.0.0.1:9092"]
  topic: predictions
  deadLetterTopic: predictions.dlq
${extra}
influx: { url: "http://127.0.0.1:8086", org: acme, bucket: drift }
baselines: { dir: ./baselines }
`;
  return parseConfig(text, 'x.yaml', { INFLUX_TOKEN: 't' }).kafka;
}

describe('prediction consumer options', () => {
  it('heartbeats at least three times per session and bounds a batch by kafka.maxBatchBytes', () => {
    for (const session of ['10s', '30s', '5m']) {
      const options = predictionConsumerOptions(kafkaSettings(`  sessionTimeout: ${session}`));
      const sessionTimeout = options.sessionTimeout ?? 0;
      expect(options.heartbeatInterval).toBeLessThanOrEqual(sessionTimeout / 3);
      expect(options.rebalanceTimeout).toBeGreaterThanOrEqual(sessionTimeout);
      expect(options.maxBytesPerPartition).toBe(1_048_576);
    }
    const small = predictionConsumerOptions(kafkaSettings('  maxBatchBytes: 65536'));
    expect(small.maxBytesPerPartition).toBe(65_536);
    expect(small.groupId).toBe('driftwatch');
  });
});
