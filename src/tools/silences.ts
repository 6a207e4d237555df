import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Logger } from '../logger.js';
import type { Silence } from '../../alert-engine/silence.js';
import { alertTopicsFor } from '../alerting/alert-log.js';
import {
  createSilence,
  expireSilence,
  parseNewSilence,
  type NewSilence,
} from '../alerting/silence-record.js';
import { ensureSilencesTopic, readSilences, writeSilence } from '../alerting/silences-topic.js';
import type { Config } from '../config/schema.js';
import { DriftwatchError } from '../errors.js';
import { createKafkaClient } from '../kafka/client.js';
import { checkKafkaAccess, reachKafka } from '../kafka/reach.js';

/**
 * `driftwatch silence add|list|expire` (and `rules backtest`'s silences): the silences topic
 * of a config's Kafka, read and appended to outside the daemon. Every daemon replica follows
 * the topic, so what is written here holds everywhere within moments.
 */
export interface SilencesTopicIo {
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  topic: string;
}

export async function withSilencesTopic<T>(
  config: Config,
  logger: Logger,
  work: (io: SilencesTopicIo) => Promise<T>,
): Promise<T> {
  const topic = alertTopicsFor(config.kafka.groupId, { retention: 0 }).silencesTopic;
  const kafka = createKafkaClient(config, { logger, clientId: `${config.kafka.clientId}-silence` });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
  try {
    await checkKafkaAccess(config);
    await reachKafka(config, async () => {
      await admin.connect();
      await producer.connect();
    });
    await ensureSilencesTopic(admin, topic);
    return await work({ kafka, admin, producer, topic });
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** Validates a request (SILENCE_INVALID naming the bad keys), creates and writes the silence. */
export async function addSilence(
  io: SilencesTopicIo,
  request: NewSilence,
  now: number,
): Promise<Silence> {
  const silence = createSilence(parseNewSilence(request), now);
  await writeSilence(io.producer, io.topic, silence);
  return silence;
}

/** Every silence on the topic, newest first (expired ones too, until their tombstone). */
export async function listSilences(io: SilencesTopicIo): Promise<Silence[]> {
  const { silences } = await readSilences(io.kafka, io.admin, io.topic);
  return [...silences.values()].sort((a, b) => b.updatedAt - a.updatedAt);
}

/**
 * What `silence list` shows: the silences still to hold (active, pending) at wall-clock `now`;
 * with `all`, the expired ones too (they stay on the topic for alerts.silenceRetention).
 */
export function listedSilences(silences: readonly Silence[], now: number, all: boolean): Silence[] {
  return all ? [...silences] : silences.filter((s) => silenceStatus(s, now) !== 'expired');
}

/** Ends a silence now (a new record); SILENCE_NOT_FOUND when no silence has that id. */
export async function expireSilenceById(
  io: SilencesTopicIo,
  id: string,
  now: number,
): Promise<Silence> {
  const { silences } = await readSilences(io.kafka, io.admin, io.topic);
  const found = silences.get(id);
  if (!found) {
    throw new DriftwatchError(
      'SILENCE_NOT_FOUND',
      `no silence with id ${id} in ${io.topic} (see driftwatch silence list)`,
    );
  }
  const expired = expireSilence(found, now);
  if (expired !== found) await writeSilence(io.producer, io.topic, expired);
  return expired;
}

/** active, pending (starts later) or expired, at wall-clock `now`. */
export function silenceStatus(s: Silence, now: number): 'active' | 'pending' | 'expired' {
  if (s.endsAt <= now) return 'expired';
  return s.startsAt > now ? 'pending' : 'active';
}
