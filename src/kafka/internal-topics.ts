import kafkajs, { type Admin, type ITopicConfig } from 'kafkajs';

// kafkajs is CommonJS: Node's ESM loader sees only the names it can detect statically.
const { ConfigResourceTypes } = kafkajs;
import { DriftwatchError } from '../errors.js';

/** A topic driftwatch owns: its partition count is part of how its records are routed. */
export interface InternalTopic {
  topic: string;
  partitions: number;
  configEntries?: ITopicConfig['configEntries'];
  /** What to do when an existing topic has another count (ends the error message). */
  remedy?: string;
  /**
   * Configs (of configEntries) an existing topic must have at least: lower ones are raised to
   * them at start-up (a longer labels horizon needs a longer retention).
   */
  atLeast?: readonly string[];
}

/**
 * Creates the topic with `partitions` partitions when it is missing; an existing one must have
 * exactly that many. Records are placed by partition (a model's state in partition
 * route(model) of Q): the same topic with another count would put a model's records in two
 * places, so a mismatch is a start-up error, never silently adapted.
 */
export async function ensureInternalTopic(admin: Admin, t: InternalTopic): Promise<void> {
  if (!(await admin.listTopics()).includes(t.topic)) {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: t.topic, numPartitions: t.partitions, configEntries: t.configEntries }],
    });
    // false: another replica created it meanwhile; its count is checked below like any other.
    if (created) return;
  }
  const meta = await admin.fetchTopicMetadata({ topics: [t.topic] });
  const count = meta.topics[0]?.partitions.length ?? 0;
  if (count !== t.partitions) throw internalTopicMismatch(t, count);
  await checkCleanupPolicy(admin, t);
  await raiseToAtLeast(admin, t);
}

/**
 * Raises the `atLeast` configs of an existing topic that are lower than driftwatch's. Kafka's
 * AlterConfigs sets a topic's whole dynamic config, so every entry driftwatch creates the
 * topic with is sent (a config set by hand on a driftwatch topic besides them is reset).
 */
async function raiseToAtLeast(admin: Admin, t: InternalTopic): Promise<void> {
  const names = t.atLeast ?? [];
  const entries = t.configEntries ?? [];
  if (names.length === 0) return;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: t.topic, configNames: [...names] }],
  });
  const actual = new Map(
    (described.resources[0]?.configEntries ?? []).map((e) => [e.configName, Number(e.configValue)]),
  );
  const low = names.filter((name) => {
    const wanted = Number(entries.find((e) => e.name === name)?.value);
    const has = actual.get(name);
    // -1: unlimited, never lower.
    return Number.isFinite(wanted) && has !== undefined && has !== -1 && has < wanted;
  });
  if (low.length === 0) return;
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: t.topic, configEntries: [...entries] }],
    });
  } catch (err) {
    const set = entries.map((e) => `${e.name}=${e.value}`).join(',');
    throw new DriftwatchError(
      'INTERNAL_TOPIC_MISMATCH',
      `internal topic "${t.topic}" keeps records shorter than driftwatch needs (${low.map((n) => `${n}=${actual.get(n)}`).join(', ')}) and raising it failed (${(err as Error).message}): grant AlterConfigs on the topic, or run kafka-configs.sh --alter --entity-type topics --entity-name ${t.topic} --add-config ${set}`,
    );
  }
}

/**
 * A partials topic that compacts would lose partials sharing a key; an alert log that only
 * deletes would lose alert state after its retention. So the policy of an existing topic must
 * be the one driftwatch creates it with (in any order: "delete,compact" = "compact,delete").
 */
async function checkCleanupPolicy(admin: Admin, t: InternalTopic): Promise<void> {
  const wanted = t.configEntries?.find((e) => e.name === 'cleanup.policy')?.value;
  if (wanted === undefined) return;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [
      { type: ConfigResourceTypes.TOPIC, name: t.topic, configNames: ['cleanup.policy'] },
    ],
  });
  const actual = described.resources[0]?.configEntries.find(
    (e) => e.configName === 'cleanup.policy',
  )?.configValue;
  if (actual === undefined || policySet(actual) === policySet(wanted)) return;
  throw new DriftwatchError(
    'INTERNAL_TOPIC_MISMATCH',
    `internal topic "${t.topic}" has cleanup.policy=${actual}, driftwatch expects ${wanted}: with another policy Kafka would remove records driftwatch still needs; set it with kafka-configs.sh --alter --entity-type topics --entity-name ${t.topic} --add-config cleanup.policy=[${wanted}]`,
  );
}

function policySet(value: string): string {
  return value
    .split(',')
    .map((p) => p.trim())
    .sort()
    .join(',');
}

export function internalTopicMismatch(t: InternalTopic, count: number): DriftwatchError {
  const remedy =
    t.remedy ??
    'delete the topic to let driftwatch create it anew (what it holds is lost), or run with the partition count it has';
  return new DriftwatchError(
    'INTERNAL_TOPIC_MISMATCH',
    `internal topic "${t.topic}" has ${count} partition(s), driftwatch expects ${t.partitions}: its records are placed by partition, so it cannot be used with another count; ${remedy}`,
  );
}

/** Creates the topic when missing, with whatever count it has otherwise (not routed by partition). */
export async function ensureTopicExists(admin: Admin, t: InternalTopic): Promise<void> {
  if ((await admin.listTopics()).includes(t.topic)) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: t.topic, numPartitions: t.partitions, configEntries: t.configEntries }],
  });
}
