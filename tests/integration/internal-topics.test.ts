import kafkajs, { type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DriftwatchError } from '../../src/errors.js';
import { ensureInternalTopic } from '../../src/kafka/internal-topics.js';
import { ensureLabelTopics } from '../../src/label-join/topics.js';
import { toolingKafka } from '../support/kafka.js';
import { uniqueNames } from '../support/scenario.js';

const services = inject('services');

describe(`internal topics against the real broker (${inject('servicesMode')})`, () => {
  let admin: Admin;

  beforeAll(async () => {
    admin = toolingKafka(services.kafkaBrokers, 'driftwatch-tests').admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
  });

  it('creates a topic with its count and policy, accepts it again, refuses another count or policy', async () => {
    const topic = `${uniqueNames('internal').topic}.alerts`;
    const wanted = {
      topic,
      partitions: 3,
      configEntries: [{ name: 'cleanup.policy', value: 'compact,delete' }],
    };
    await ensureInternalTopic(admin, wanted);
    await ensureInternalTopic(admin, wanted);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]?.partitions).toHaveLength(3);

    const codeOf = (e: unknown) => (e instanceof DriftwatchError ? e.code : String(e));
    await expect(
      ensureInternalTopic(admin, { ...wanted, partitions: 2 }).catch(codeOf),
    ).resolves.toBe('INTERNAL_TOPIC_MISMATCH');
    const deleteOnly = { ...wanted, configEntries: [{ name: 'cleanup.policy', value: 'delete' }] };
    await expect(ensureInternalTopic(admin, deleteOnly).catch(codeOf)).resolves.toBe(
      'INTERNAL_TOPIC_MISMATCH',
    );
  });

  it("raises the labels topics' retention when the horizon grows, never lowers it", async () => {
    const groupId = uniqueNames('labels-retention').groupId;
    const hour = 3_600_000;
    const retention = async (topic: string) => {
      const d = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: kafkajs.ConfigResourceTypes.TOPIC,
            name: topic,
            configNames: ['retention.ms', 'cleanup.policy'],
          },
        ],
      });
      const entries = d.resources[0]?.configEntries ?? [];
      return Object.fromEntries(entries.map((e) => [e.configName, e.configValue]));
    };
    const first = await ensureLabelTopics(admin, groupId, { join: 2, quality: 2 }, hour);
    expect((await retention(first.join))['retention.ms']).toBe(String(hour + 24 * hour));
    await ensureLabelTopics(admin, groupId, { join: 2, quality: 2 }, 48 * hour);
    for (const topic of [first.join, first.quality]) {
      expect(await retention(topic)).toEqual({
        'retention.ms': String(72 * hour),
        'cleanup.policy': 'compact,delete',
      });
    }
    // A shorter horizon later leaves the longer retention.
    await ensureLabelTopics(admin, groupId, { join: 2, quality: 2 }, hour);
    expect((await retention(first.join))['retention.ms']).toBe(String(72 * hour));
  });
});
