import type { Admin, Producer } from 'kafkajs';
import type { Config } from '../config/schema.js';
import type { InputTopics } from '../ingest/input-topics.js';
import { checkKafkaAccess, reachKafka } from '../kafka/reach.js';
import { ensurePartialsTopic, internalPartitionCount } from '../partials/topic.js';
import type { SchemaRegistryClient } from '../schema-registry/client.js';
import { checkSchemaRegistry } from '../schema-registry/reach.js';
import { checkInfluxTls, influxTargetOf } from '../sinks/influx-client.js';
import { DelayedLabels } from './delayed-labels.js';
import { readInputEnds, resolveInputTopics } from './input-io.js';

/**
 * The start-up checks of every service the daemon reaches: InfluxDB's TLS settings, Kafka
 * (retried while unreachable, until the stop) and the schema registry when configured.
 * Configuration errors of either end stop the start; an InfluxDB that is down does not.
 */
export async function checkServices(
  config: Config,
  registry: SchemaRegistryClient | undefined,
  isStopping: () => boolean,
): Promise<void> {
  await checkInfluxTls(influxTargetOf(config));
  await checkKafkaAccess(config, { isStopping });
  if (registry && config.schemaRegistry) {
    await checkSchemaRegistry(registry, config.schemaRegistry.url, {
      timeoutMs: config.schemaRegistry.startTimeout,
      isStopping,
    });
  }
}

/** What start-up found and made on the cluster, before any consumer joins a group. */
export interface KafkaSetup {
  /** The input topics as they stand on the broker (patterns resolved now). */
  inputs: InputTopics;
  /** Every input partition's log end offset at start-up, by source. */
  inputEnds: Map<number, number>;
  /** `<groupId>.partials` and its partition count Q. */
  partials: { topic: string; count: number };
  /** The delayed-labels topics, when `labels` is configured. */
  labels: Awaited<ReturnType<typeof DelayedLabels.topics>> | undefined;
}

/**
 * The daemon's first calls to the cluster, after `checkKafkaAccess`: the admin client
 * connected, the input topics resolved (named ones and the dead-letter topic must exist), the
 * internal topics — partials, and labels when configured — created or checked, and the producer
 * connected. Whatever kafkajs reports becomes one line naming the key (`reachKafka`).
 */
export function setUpKafka(config: Config, admin: Admin, producer: Producer): Promise<KafkaSetup> {
  const { kafka: k } = config;
  return reachKafka(config, async () => {
    await admin.connect();
    const inputs = await resolveInputTopics(admin, config);
    const inputEnds = await readInputEnds(admin, inputs);
    const count = await internalPartitionCount(
      admin,
      k.groupId,
      config.scale.partitions,
      // The main topic's partitions: read with the other topics' just above.
      inputs.byTopic([...inputEnds.keys()]).get(k.topic)?.size ?? 0,
    );
    const topic = await ensurePartialsTopic(admin, k.groupId, count);
    const labels = config.labels
      ? await DelayedLabels.topics({ ...config, labels: config.labels }, admin, count)
      : undefined;
    await producer.connect();
    return { inputs, inputEnds, partials: { topic, count }, labels };
  });
}
