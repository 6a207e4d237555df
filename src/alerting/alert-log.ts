import type { Admin, Kafka, Message } from 'kafkajs';
import { z } from 'zod';
import type { AlertNotification } from '../../alerts/model.js';
import type { StateRecord } from '../../alerts/engine.js';
import { DriftwatchError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AlertLogWriter } from './alert-log-writer.js';
import { readTopicToEnd } from './read-to-end.js';

/**
 * The alert log: one Kafka topic (one partition, so one order) holding the alert engine's
 * state records (compacted per key) and the notifications receivers deliver from. It is what
 * makes the daemon a stateless pod: state is rebuilt from it at start, and every receiver reads
 * it as its own consumer group.
 */

export const ALERT_LOG_VERSION = 1;
const NOTIFICATION_PREFIX = 'n/';

export interface AlertTopics {
  topic: string;
  deadLetterTopic: string;
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
    retentionMs: alerts.retention,
  };
}

/** Creates the internal topics when missing: one partition, compacted + time-bounded. */
export async function ensureAlertTopics(admin: Admin, t: AlertTopics): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = [t.topic, t.deadLetterTopic].filter((name) => !existing.has(name));
  if (existing.has(t.topic)) {
    // One partition is what keeps one order between state and notifications.
    const meta = await admin.fetchTopicMetadata({ topics: [t.topic] });
    const partitions = meta.topics[0]?.partitions.length ?? 0;
    if (partitions !== 1) {
      throw new DriftwatchError(
        'ALERTS_CONFIG_INVALID',
        `alert topic "${t.topic}" has ${partitions} partitions; it needs exactly 1 (delete it to let driftwatch create it, or set alerts.topic to a new name)`,
      );
    }
  }
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: 1,
      configEntries:
        topic === t.topic
          ? [
              { name: 'cleanup.policy', value: 'compact,delete' },
              { name: 'retention.ms', value: String(t.retentionMs) },
            ]
          : [{ name: 'retention.ms', value: String(Math.max(t.retentionMs, 30 * 86_400_000)) }],
    })),
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

/** What the restore needs: Kafka, and the writer that will append to the log after it. */
export interface AlertLogSource {
  kafka: Kafka;
  admin: Admin;
  writer: Pick<AlertLogWriter, 'takeOver'>;
  topic: string;
}

/**
 * Takes over the alert log's transactional id (fencing an older daemon, aborting its open
 * transaction), then reads the log from its start to its end, handing every state record to
 * `onState`; the newest record per key wins (the log is in order). Uses a throwaway group.
 *
 * Why the takeover comes first, and must: the read stops at the log's end as kafkajs's admin
 * reports it, the last stable offset (LSO: ListOffsets read_committed, below the first record
 * of any transaction not yet complete). A commit returns once the transaction coordinator has
 * logged its decision, and the coordinator writes the commit markers afterwards; until then the
 * LSO stays before that transaction. A restore right after a commit, say of the previous pod a
 * moment before it stopped, would end before that commit and lose it. Registering the
 * transactional id (InitProducerId) is answered only once every earlier transaction of the id
 * is complete, markers written (see AlertLogWriter.takeOver), and the alert log has no other
 * transactional writer: the LSO read after it covers every commit, with nothing to wait for
 * and no timeout to guess. (Reading to the high watermark instead is not possible here: the
 * kafkajs admin lists offsets read_committed only; and the takeover is needed anyway.)
 */
export async function restoreAlertLog(
  source: AlertLogSource,
  onState: (key: string, value: unknown) => void,
  logger: Logger,
): Promise<{ records: number; notifications: number }> {
  const { kafka, admin, writer, topic } = source;
  await writer.takeOver();
  let records = 0;
  let notifications = 0;
  let unreadable = 0;
  await readTopicToEnd(kafka, admin, topic, 'driftwatch-restore', (_partition, m) => {
    records++;
    const key = m.key?.toString('utf8') ?? '';
    try {
      if (key.startsWith(NOTIFICATION_PREFIX)) notifications++;
      else if (m.value === null) onState(key, null);
      else {
        const entry = decodeEntry(m.value);
        if (entry?.type === 'state') onState(key, entry.value);
      }
    } catch (err) {
      unreadable++;
      if (unreadable <= 5) {
        const offset = Number(m.offset);
        logger.error({ err, topic, offset, key }, 'unreadable alert-log record skipped');
      }
    }
  });
  return { records, notifications };
}
