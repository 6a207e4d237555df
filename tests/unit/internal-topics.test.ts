import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DriftwatchError } from '../../src/errors.js';
import { ensureInternalTopic } from '../../src/kafka/internal-topics.js';

/** An admin double over topics and their partition counts; creations recorded. */
function adminWith(topics: Record<string, number>, raceCount?: number, policy = 'delete') {
  const created: { topic: string; numPartitions?: number }[] = [];
  const admin = {
    describeConfigs: () =>
      Promise.resolve({
        resources: [{ configEntries: [{ configName: 'cleanup.policy', configValue: policy }] }],
      }),
    listTopics: () => Promise.resolve(Object.keys(topics)),
    createTopics: ({ topics: list }: { topics: { topic: string; numPartitions?: number }[] }) => {
      if (raceCount !== undefined) {
        // Another replica created it first, with its own count.
        for (const t of list) topics[t.topic] = raceCount;
        return Promise.resolve(false);
      }
      created.push(...list);
      for (const t of list) topics[t.topic] = t.numPartitions ?? 1;
      return Promise.resolve(true);
    },
    fetchTopicMetadata: ({ topics: names }: { topics: string[] }) =>
      Promise.resolve({
        topics: names.map((name) => ({
          name,
          partitions: Array.from({ length: topics[name] ?? 0 }, (_, partitionId) => ({
            partitionId,
          })),
        })),
      }),
  };
  return { admin: admin as unknown as Admin, created };
}

describe('ensureInternalTopic', () => {
  it('creates a missing topic with the partitions and config asked for', async () => {
    const { admin, created } = adminWith({});
    await ensureInternalTopic(admin, {
      topic: 'g.alerts',
      partitions: 3,
      configEntries: [{ name: 'cleanup.policy', value: 'compact,delete' }],
    });
    expect(created).toMatchObject([{ topic: 'g.alerts', numPartitions: 3 }]);
  });

  it('accepts an existing topic with that count, refuses another count naming both', async () => {
    await ensureInternalTopic(adminWith({ 'g.alerts': 3 }).admin, {
      topic: 'g.alerts',
      partitions: 3,
    });
    const err = await ensureInternalTopic(adminWith({ 'g.alerts': 1 }).admin, {
      topic: 'g.alerts',
      partitions: 3,
      remedy: 'set alerts.topic to a new name',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriftwatchError);
    expect((err as DriftwatchError).code).toBe('INTERNAL_TOPIC_MISMATCH');
    expect((err as Error).message).toMatch(/"g\.alerts".*\b1\b.*\b3\b.*alerts\.topic/);
  });

  it('a topic another replica created meanwhile is checked like any existing one', async () => {
    const err = await ensureInternalTopic(adminWith({}, 2).admin, {
      topic: 'g.partials',
      partitions: 3,
    }).catch((e: unknown) => e);
    expect((err as DriftwatchError).code).toBe('INTERNAL_TOPIC_MISMATCH');
  });

  it('refuses an existing topic whose cleanup.policy differs, in any order of the same policies', async () => {
    const want = (value: string) => ({
      topic: 'g.alerts',
      partitions: 3,
      configEntries: [{ name: 'cleanup.policy', value }],
    });
    await ensureInternalTopic(
      adminWith({ 'g.alerts': 3 }, undefined, 'delete,compact').admin,
      want('compact,delete'),
    );
    const err = await ensureInternalTopic(
      adminWith({ 'g.alerts': 3 }, undefined, 'delete').admin,
      want('compact,delete'),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriftwatchError);
    expect(err).toMatchObject({ code: 'INTERNAL_TOPIC_MISMATCH' });
    expect((err as Error).message).toContain('cleanup.policy=delete');
    expect((err as Error).message).toContain('g.alerts');
  });
});
