import { describe, expect, inject, it } from 'vitest';
import { PartitionFenced, PartitionOutbox } from '../../src/ingest/partition-outbox.js';
import { createTopics, toolingKafka } from '../support/kafka.js';
import { uniqueNames } from '../support/scenario.js';

const services = inject('services');

describe(`stage 1 taking an input partition over (${inject('servicesMode')})`, () => {
  it("fences the previous owner when it opens the partition, before it reads where to resume: that one's next commit is refused", async () => {
    const names = uniqueNames('ingest-takeover');
    const kafka = toolingKafka(services.kafkaBrokers, 'driftwatch-tests');
    const partialsTopic = `${names.groupId}.partials`;
    await createTopics(kafka, [names.topic, names.deadLetterTopic, partialsTopic], 1);
    const topics = {
      consumerGroupId: names.groupId,
      partialsTopic,
      partialsPartitions: 1,
      partialsFormat: 5 as const,
      deadLetterTopic: names.deadLetterTopic,
    };
    const input = { topic: names.topic, partition: 0 };
    // The previous owner is alive (stalled past its session, say) when the next one opens.
    const previous = await PartitionOutbox.open(kafka, 0, input, topics);
    const next = await PartitionOutbox.open(kafka, 0, input, topics);
    const step = (offset: number) => ({
      partials: [],
      deadLetters: [{ value: `garbage at ${offset}` }],
      joinRecords: [],
      progress: undefined,
      offset,
      metadata: '',
    });
    try {
      await expect(previous.commit(step(5))).rejects.toBeInstanceOf(PartitionFenced);
      await next.commit(step(3));
      const admin = kafka.admin();
      await admin.connect();
      const [committed] = await admin.fetchOffsets({
        groupId: names.groupId,
        topics: [names.topic],
      });
      await admin.disconnect();
      expect(committed?.partitions[0]?.offset).toBe('3');
    } finally {
      await Promise.all([previous.close(), next.close()]);
    }
  }, 60_000);
});
