import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { KafkaClientConfig } from '../../src/kafka/client.js';
import { checkKafkaAccess, reachKafka } from '../../src/kafka/reach.js';
import { DriftwatchError } from '../../src/errors.js';

const kafkaConfig = (broker: string) =>
  ({
    kafka: { brokers: [broker], clientId: 'test' },
    secrets: { influxToken: '' },
  }) as KafkaClientConfig;

/** A port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('reaching Kafka at start-up', () => {
  it('turns an unreachable cluster into KAFKA_CONNECT_FAILED naming kafka.brokers, within the bound', async () => {
    const broker = `127.0.0.1:${await closedPort()}`;
    await expect(checkKafkaAccess(kafkaConfig(broker), { timeoutMs: 1_000 })).rejects.toSatisfy(
      (err: unknown) =>
        err instanceof DriftwatchError &&
        err.code === 'KAFKA_CONNECT_FAILED' &&
        err.message.includes(`kafka.brokers ${broker}: `) &&
        err.message.includes('ECONNREFUSED'),
    );
  });

  it('passes errors that already name their key through unchanged', async () => {
    const missing = new DriftwatchError('KAFKA_TOPIC_MISSING', 'kafka.topic "p" does not exist');
    await expect(reachKafka(kafkaConfig('b:9092'), () => Promise.reject(missing))).rejects.toBe(
      missing,
    );
  });
});
