import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { reachKafka } from '../../src/kafka/kafka-io.js';
import { DriftwatchError } from '../../src/errors.js';

/** A port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('reaching Kafka at start-up', () => {
  it('turns an unreachable cluster into KAFKA_CONNECT_FAILED naming kafka.brokers', async () => {
    const broker = `127.0.0.1:${await closedPort()}`;
    const kafka = new Kafka({
      brokers: [broker],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    await expect(reachKafka([broker], () => admin.connect())).rejects.toSatisfy(
      (err: unknown) =>
        err instanceof DriftwatchError &&
        err.code === 'KAFKA_CONNECT_FAILED' &&
        err.message.includes(`kafka.brokers ${broker}: `) &&
        err.message.includes('ECONNREFUSED'),
    );
    await admin.disconnect();
  });

  it('passes errors that already name their key through unchanged', async () => {
    const missing = new DriftwatchError('KAFKA_TOPIC_MISSING', 'kafka.topic "p" does not exist');
    await expect(reachKafka(['b:9092'], () => Promise.reject(missing))).rejects.toBe(missing);
  });
});
