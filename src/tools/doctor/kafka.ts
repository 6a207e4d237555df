import type { Config } from '../../config/schema.js';
import { createKafkaClient } from '../../kafka/client.js';
import { checkKafkaAccess, reachKafka } from '../../kafka/reach.js';
import { DriftwatchError } from '../../errors.js';
import type { DoctorCheck } from './check.js';
import { plural } from '../../shared/plural.js';

/** The topics the daemon reads and writes but does not create. */
const TOPIC_KEYS = ['topic', 'deadLetterTopic'] as const;

/**
 * kafka.brokers with the daemon's TLS and SASL settings (the same client factory and start-up
 * check, so a failure reads like the daemon's), then the input and dead-letter topics: they
 * must exist, driftwatch does not create them.
 */
export function kafkaCheck(config: Config, timeoutMs: number): DoctorCheck {
  return {
    name: 'kafka',
    async run() {
      await checkKafkaAccess(config, { timeoutMs });
      const admin = createKafkaClient(config, {
        clientId: `${config.kafka.clientId}-doctor`,
        retry: { retries: 0 },
      }).admin();
      try {
        const { brokers, topics } = await reachKafka(config, async () => {
          await admin.connect();
          const cluster = await admin.describeCluster();
          const existing = new Set(await admin.listTopics());
          const missing = TOPIC_KEYS.filter((key) => !existing.has(config.kafka[key]));
          if (missing.length > 0) {
            const which = missing.map((key) => `kafka.${key} ${config.kafka[key]}`).join(', ');
            throw new DriftwatchError(
              'KAFKA_TOPIC_MISSING',
              `${which}: no such topic on the cluster (driftwatch does not create it)`,
            );
          }
          const metadata = await admin.fetchTopicMetadata({
            topics: TOPIC_KEYS.map((key) => config.kafka[key]),
          });
          return { brokers: cluster.brokers.length, topics: metadata.topics };
        });
        const described = topics
          .map((t) => `${t.name} (${plural(t.partitions.length, 'partition')})`)
          .join(', ');
        return `${plural(brokers, 'broker')} at kafka.brokers ${config.kafka.brokers.join(',')}; topics ${described}`;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
  };
}
