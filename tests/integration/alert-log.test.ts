import type { Admin, Kafka, Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { restoreAlertLog, stateMessage } from '../../src/alerting/alert-log.js';
import {
  AlertLogFenced,
  AlertLogWriter,
  type AlertRecordTooLarge,
} from '../../src/alerting/alert-log-writer.js';
import { createLogger } from '../../src/logger.js';
import { createTopics, toolingKafka } from '../support/kafka.js';
import { uniqueNames } from '../support/scenario.js';

const services = inject('services');

describe(`the alert log: transactional writes, fencing, read_committed restore (${inject('servicesMode')})`, () => {
  const names = uniqueNames('alert-log');
  const topic = `${names.groupId}.alerts`;
  /** The partition these writers own; partition 0 belongs to another daemon. */
  const PARTITION = 1;
  const transactionalId = `${names.groupId}.alerts.${PARTITION}`;
  const logger = createLogger('silent');
  let kafka: Kafka;
  let admin: Admin;
  const tooLarge: AlertRecordTooLarge[] = [];

  const writer = (partition = PARTITION, id = transactionalId) =>
    new AlertLogWriter({
      transactionalId: id,
      topic,
      partition,
      onRecordTooLarge: (err) => tooLarge.push(err),
      createProducer: () =>
        kafka.producer({
          transactionalId: id,
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
        }),
    });
  const state = (key: string, bytes = 10): Message =>
    stateMessage({ key, value: { pad: 'x'.repeat(bytes) } });

  /** The state keys a daemon writing with `w` restores (it takes the id over first). */
  async function restoredKeys(w: AlertLogWriter, partition = PARTITION): Promise<string[]> {
    const keys: string[] = [];
    await restoreAlertLog(
      { kafka, admin, topic, writers: new Map([[partition, w]]) },
      (q, key) => keys.push(q === partition ? key : `${key} from ${q}`),
      logger,
    );
    return keys;
  }

  beforeAll(async () => {
    kafka = toolingKafka(services.kafkaBrokers, 'driftwatch-tests');
    await createTopics(kafka, [topic], 2);
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect();
  });

  it('an evaluation over 1 MB is written whole, a too large record is left out, the newest writer fences the older', async () => {
    // The other partition's owner writes too: none of it is this partition's state.
    const other = writer(0, `${names.groupId}.alerts.0`);
    await other.takeOver();
    await other.append([state('s/of-partition-0')]);
    await other.disconnect();
    const first = writer();
    await first.takeOver();
    // 3 × 400 kB: more than the broker's 1 MB in one request; several sends, one transaction.
    await first.append([state('s/1', 400_000), state('s/2', 400_000), state('s/3', 400_000)]);
    // A record the broker refuses even alone: reported and left out, the others written.
    await first.append([state('s/4'), state('s/huge', 1_200_000), state('s/5')]);
    expect(tooLarge.map((e) => e.key)).toEqual(['s/huge']);
    // Right after the commit its markers may not be written yet; the log then ends in one. The
    // restore (taking the id over first) reads the whole transaction and finds the end.
    expect(await restoredKeys(first)).toEqual(['s/1', 's/2', 's/3', 's/4', 's/5']);

    // A rolling deploy: the new daemon's restore takes over, the old one can no longer write.
    const second = writer();
    expect(await restoredKeys(second)).toEqual(['s/1', 's/2', 's/3', 's/4', 's/5']);
    await expect(first.append([state('s/old')])).rejects.toBeInstanceOf(AlertLogFenced);
    await expect(first.append([state('s/old')])).rejects.toBeInstanceOf(AlertLogFenced);
    await expect(restoredKeys(first)).rejects.toBeInstanceOf(AlertLogFenced);
    await second.append([state('s/new')]);
    expect(await restoredKeys(second)).toEqual(['s/1', 's/2', 's/3', 's/4', 's/5', 's/new']);
    await first.disconnect();
    await second.disconnect();
    const owner0 = writer(0, `${names.groupId}.alerts.0`);
    expect(await restoredKeys(owner0, 0)).toEqual(['s/of-partition-0']);
    await owner0.disconnect();
  });

  it('a writer that died mid-transaction: nothing of it is read, and its successor aborts it', async () => {
    const crashed = kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await crashed.connect();
    const tx = await crashed.transaction();
    await tx.send({
      topic,
      acks: -1,
      messages: [state('s/half-1'), state('s/half-2')].map((m) => ({
        ...m,
        partition: PARTITION,
      })),
    });
    // No commit: the process "dies" (its connection goes, the transaction stays open).
    await crashed.disconnect();
    const successor = writer();
    const before = ['s/1', 's/2', 's/3', 's/4', 's/5', 's/new'];
    expect(await restoredKeys(successor)).toEqual(before);
    await successor.append([state('s/after')]);
    expect(await restoredKeys(successor)).toEqual([...before, 's/after']);
    await successor.disconnect();
  });
});
