import type { Admin, Kafka, KafkaMessage, Message } from 'kafkajs';
import { z } from 'zod';
import type { AlertNotification } from '../../alert-engine/model.js';
import type { StateRecord } from '../../alert-engine/engine.js';
import { ensureInternalTopic, ensureTopicExists } from '../kafka/internal-topics.js';
import type { Logger } from '../logger.js';
import type { AlertLogWriter } from './alert-log-writer.js';
import { readTopicToEnd } from '../kafka/read-to-end.js';

/**
 * The alert log: one Kafka topic holding the alert engines' state records (compacted per key)
 * and the notifications receivers deliver from. Partition q belongs to the engine of the
 * models routed to q (one writer, one order per partition). It is what makes the daemon a
 * stateless pod: a partition's state is rebuilt from it when the partition is taken over, and
 * every receiver reads all partitions as its own consumer group.
 */

export const ALERT_LOG_VERSION = 1;
const NOTIFICATION_PREFIX = 'n/';

export interface AlertTopics {
  topic: string;
  deadLetterTopic: string;
  /** `<groupId>.silences`: every replica reads all of it (see silence-feed.ts). */
  silencesTopic: string;
  retentionMs: number;
}

export function alertTopicsFor(
  groupId: string,
  alerts: { topic?: string | undefined; deadLetterTopic?: string | undefined; retention: number },
): AlertTopics {
  const topic = alerts.topic ?? `${groupId}.alerts`;
  return {
    topic,
    deadLetterTopic: alerts.deadLetterTopic ?? `${topic}.dlq`,
    silencesTopic: `${groupId}.silences`,
    retentionMs: alerts.retention,
  };
}

/**
 * Creates the topics when missing. The alert log has `partitions` partitions (Q: partition q
 * holds the state and notifications of the models routed to q, in one order per partition),
 * compacted + time-bounded; an existing one with another count is a start-up error. The
 * dead-letter topic is not routed: any count does.
 */
export async function ensureAlertTopics(
  admin: Admin,
  t: AlertTopics,
  partitions: number,
): Promise<void> {
  await ensureInternalTopic(admin, {
    topic: t.topic,
    partitions,
    configEntries: [
      { name: 'cleanup.policy', value: 'compact,delete' },
      { name: 'retention.ms', value: String(t.retentionMs) },
    ],
    remedy:
      'the daemon keeps one alert-log partition per partition of the input topic (kafka.topic), and a model\'s alert state in the partition it is routed to. Set alerts.topic to a new name (the alert state starts empty: alerts firing now notify again) or delete the topic; see "Nothing lost, nothing doubled" in the README',
  });
  await ensureTopicExists(admin, {
    topic: t.deadLetterTopic,
    partitions: 1,
    configEntries: [
      { name: 'retention.ms', value: String(Math.max(t.retentionMs, 30 * 86_400_000)) },
    ],
  });
}

const envelopeSchema = z.discriminatedUnion('type', [
  z.object({ v: z.literal(1), type: z.literal('state'), value: z.unknown() }),
  z.object({
    v: z.literal(1),
    type: z.literal('notification'),
    notification: z.custom<AlertNotification>(
      (n) => typeof n === 'object' && n !== null && typeof (n as { id?: unknown }).id === 'string',
    ),
    replay: z.boolean().optional(),
  }),
]);
export type AlertLogEntry = z.infer<typeof envelopeSchema>;

/**
 * A notification record, keyed `n/<id>` unless `key` says otherwise (a replay has a key of its
 * own, so compaction never removes the original before every receiver read it). Keys must
 * start with `n/`: that is how the restore tells notifications from state.
 */
export function notificationMessage(
  n: AlertNotification,
  opts: { replay?: boolean; key?: string } = {},
): Message {
  const key = opts.key ?? `${NOTIFICATION_PREFIX}${n.id}`;
  if (!key.startsWith(NOTIFICATION_PREFIX)) {
    throw new Error(`notification keys start with "${NOTIFICATION_PREFIX}", got "${key}"`);
  }
  return {
    key,
    value: JSON.stringify({
      v: ALERT_LOG_VERSION,
      type: 'notification',
      notification: n,
      replay: opts.replay ?? false,
    }),
  };
}

export function stateMessage(r: StateRecord): Message {
  // A null value is a tombstone: compaction forgets the key.
  return {
    key: r.key,
    value:
      r.value === null
        ? null
        : JSON.stringify({ v: ALERT_LOG_VERSION, type: 'state', value: r.value }),
  };
}

/** Decodes one record; undefined for tombstones. Throws on records this version cannot read. */
export function decodeEntry(value: Buffer | null): AlertLogEntry | undefined {
  if (value === null) return undefined;
  return envelopeSchema.parse(JSON.parse(value.toString('utf8')));
}

/**
 * The records of one evaluation, serialised now (the engine's objects change later):
 * notifications first and the evaluation cursors last, appended in one transaction (see
 * AlertLogWriter), so readers see the evaluation whole or not at all. Should a crash cut it
 * short, the window is evaluated again and yields the same deterministic ids.
 */
export function alertLogMessages(
  notifications: readonly AlertNotification[],
  changes: readonly StateRecord[],
): Message[] {
  const cursorsLast = [...changes].sort(
    (a, b) => Number(a.key.startsWith('e/')) - Number(b.key.startsWith('e/')),
  );
  return [...notifications.map((n) => notificationMessage(n)), ...cursorsLast.map(stateMessage)];
}

/** What the restore needs: Kafka, and per partition the writer that will append to it after. */
export interface AlertLogSource {
  kafka: Kafka;
  admin: Admin;
  topic: string;
  /** The partitions to restore, each with its writer (the only one appending to it). */
  writers: ReadonlyMap<number, Pick<AlertLogWriter, 'takeOver'>>;
}

/**
 * Takes over each partition's transactional id (fencing its previous owner, aborting its open
 * transaction), then reads those partitions from their start to their end, handing every state
 * record to `onState` with its partition; the newest record per key wins (a partition is in
 * order). One throwaway group reads them all.
 *
 * Why the takeover comes first, and must: the read stops at the log's end as kafkajs's admin
 * reports it, the last stable offset (LSO: ListOffsets read_committed, below the first record
 * of any transaction not yet complete). A commit returns once the transaction coordinator has
 * logged its decision, and the coordinator writes the commit markers afterwards; until then the
 * LSO stays before that transaction. A restore right after a commit, say of the previous pod a
 * moment before it stopped, would end before that commit and lose it. Registering the
 * transactional id (InitProducerId) is answered only once every earlier transaction of the id
 * is complete, markers written (see AlertLogWriter.takeOver), and the partition has no other
 * transactional writer: the LSO read after it covers every commit, with nothing to wait for
 * and no timeout to guess. (Reading to the high watermark instead is not possible here: the
 * kafkajs admin lists offsets read_committed only; and the takeover is needed anyway.)
 */
export async function restoreAlertLog(
  source: AlertLogSource,
  onState: (partition: number, key: string, value: unknown) => void,
  logger: Logger,
): Promise<{ records: number; notifications: number }> {
  const { kafka, admin, writers, topic } = source;
  await Promise.all([...writers.values()].map((w) => w.takeOver()));
  let records = 0;
  let notifications = 0;
  let unreadable = 0;
  const read = (partition: number, m: KafkaMessage) => {
    records++;
    const key = m.key?.toString('utf8') ?? '';
    try {
      if (key.startsWith(NOTIFICATION_PREFIX)) notifications++;
      else if (m.value === null) onState(partition, key, null);
      else {
        const entry = decodeEntry(m.value);
        if (entry?.type === 'state') onState(partition, key, entry.value);
      }
    } catch (err) {
      unreadable++;
      if (unreadable <= 5) {
        const offset = Number(m.offset);
        logger.error({ err, topic, partition, offset, key }, 'unreadable alert-log record skipped');
      }
    }
  };
  await readTopicToEnd(kafka, admin, topic, 'driftwatch-restore', read, [...writers.keys()]);
  return { records, notifications };
}
