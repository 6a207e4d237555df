import type { Admin, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { AlertNotification } from '../../alert-engine/model.js';
import { DriftwatchError } from '../errors.js';
import { decodeEntry, notificationMessage } from '../alerting/alert-log.js';
import { readTopicToEnd } from '../kafka/read-to-end.js';
import { NOTIFICATION_DLQ_HEADERS } from '../delivery/dead-letter.js';

/**
 * `driftwatch notifications replay`: dead-lettered notifications put back on the alert log for
 * the receiver that gave up on them. The id stays the same (so does webhook-id, the email
 * Message-ID and the idempotency key); `replay: true` makes the receiver deliver it even if it
 * remembers the id. The record's key is its own (see replayMessage).
 */

export interface DeadLetter {
  partition: number;
  offset: string;
  /** Broker timestamp of the dead letter (ms). */
  timestamp: number;
  receiver: string | undefined;
  reason: string | undefined;
  attempts: number | undefined;
  notification: AlertNotification;
}

export interface ReplayFilter {
  receiver?: string | undefined;
  id?: string | undefined;
}

export interface ReplayResult {
  /** Dead letters read, and those that could not be decoded. */
  read: number;
  unreadable: number;
  /** Dead letters without the receiver header: nobody to replay them to. */
  withoutReceiver: number;
  /** Selected (filtered; one per notification id and receiver, the newest); replayed unless dry. */
  selected: DeadLetter[];
  replayed: number;
}

const header = (m: KafkaMessage, name: string): string | undefined => {
  const v = m.headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
};

function deadLetterOf(partition: number, m: KafkaMessage): DeadLetter | undefined {
  const entry = decodeEntry(m.value);
  if (entry?.type !== 'notification') return undefined;
  const h = NOTIFICATION_DLQ_HEADERS;
  const attempts = header(m, h.attempts);
  return {
    partition,
    offset: m.offset,
    timestamp: Number(m.timestamp),
    receiver: header(m, h.receiver),
    reason: header(m, h.reason),
    attempts: attempts === undefined ? undefined : Number(attempts),
    notification: entry.notification,
  };
}

async function requireTopics(admin: Admin, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length > 0) {
    throw new DriftwatchError(
      'KAFKA_TOPIC_MISSING',
      `topic ${missing.join(', ')} does not exist (the daemon creates the alert topics when it starts with this alerts config)`,
    );
  }
}

/**
 * Every record of the dead-letter topic from its start to the end it has now, through a
 * throwaway consumer group that is deleted afterwards.
 */
export async function readDeadLetters(
  kafka: Kafka,
  admin: Admin,
  topic: string,
): Promise<{ letters: DeadLetter[]; read: number; unreadable: number }> {
  const letters: DeadLetter[] = [];
  let read = 0;
  let unreadable = 0;
  await readTopicToEnd(kafka, admin, topic, 'driftwatch-replay', (partition, m) => {
    read++;
    try {
      const letter = deadLetterOf(partition, m);
      if (letter) letters.push(letter);
      else unreadable++;
    } catch {
      unreadable++;
    }
  });
  letters.sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition);
  return { letters, read, unreadable };
}

/** The dead letters to replay: filtered, and one per (notification id, receiver), the newest. */
export function selectDeadLetters(letters: readonly DeadLetter[], filter: ReplayFilter) {
  const newest = new Map<string, DeadLetter>();
  let withoutReceiver = 0;
  for (const l of letters) {
    if (l.receiver === undefined) {
      withoutReceiver++;
      continue;
    }
    if (filter.receiver !== undefined && l.receiver !== filter.receiver) continue;
    if (filter.id !== undefined && l.notification.id !== filter.id) continue;
    const key = `${l.notification.id}\u0000${l.receiver}`;
    newest.delete(key); // re-inserted: the map keeps the order of the newest occurrences
    newest.set(key, l);
  }
  return { selected: [...newest.values()], withoutReceiver };
}

/**
 * The alert-log record that asks one receiver to deliver a dead letter again. Keyed by the
 * receiver and the dead letter's position, not `n/<id>`: sharing the original's key would let
 * compaction remove the original before a lagging receiver read it.
 */
export function replayMessage(letter: DeadLetter & { receiver: string }) {
  const n = letter.notification;
  return notificationMessage(
    { ...n, receivers: [letter.receiver] },
    {
      replay: true,
      key: `n/${n.id}/replay/${letter.receiver}/${letter.partition}:${letter.offset}`,
    },
  );
}

/**
 * Reads the dead-letter topic, selects by receiver and id, and (unless dry) re-produces each
 * selected notification to the alert topic for its receiver only.
 */
export async function replayNotifications(
  deps: { kafka: Kafka; admin: Admin; producer: Producer },
  topics: { topic: string; deadLetterTopic: string },
  filter: ReplayFilter & { dryRun?: boolean | undefined },
): Promise<ReplayResult> {
  await requireTopics(deps.admin, [topics.deadLetterTopic, topics.topic]);
  const { letters, read, unreadable } = await readDeadLetters(
    deps.kafka,
    deps.admin,
    topics.deadLetterTopic,
  );
  const { selected, withoutReceiver } = selectDeadLetters(letters, filter);
  let replayed = 0;
  if (!filter.dryRun && selected.length > 0) {
    const messages = selected.map((l) => replayMessage({ ...l, receiver: l.receiver as string }));
    // In chunks: a notification can be large (every alert of a group), the broker caps requests.
    for (let i = 0; i < messages.length; i += 100) {
      const chunk = messages.slice(i, i + 100);
      await deps.producer.send({ topic: topics.topic, acks: -1, messages: chunk });
      replayed += chunk.length;
    }
  }
  return { read, unreadable, withoutReceiver, selected, replayed };
}
