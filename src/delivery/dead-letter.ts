import type { KafkaMessage, Producer } from 'kafkajs';
import type { AlertNotification } from '../../alert-engine/model.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';

/** Headers of a dead-lettered notification; documented in the README. */
export const NOTIFICATION_DLQ_HEADERS = {
  receiver: 'driftwatch-receiver',
  reason: 'driftwatch-error-reason',
  attempts: 'driftwatch-attempts',
  offset: 'driftwatch-source-offset',
  partition: 'driftwatch-source-partition',
} as const;

export interface DeadLetterDeps {
  producer: Producer;
  deadLetterTopic: string;
  metrics: DaemonMetrics;
  logger: Logger;
}

/** One notification a receiver gives up on, and why. */
export interface DeadLetter {
  receiver: string;
  /** The alert-log record it came from, and its partition. */
  message: KafkaMessage;
  partition: number;
  notification: AlertNotification;
  reason: string;
  attempts: number;
}

/**
 * Produces a notification to the dead-letter topic (replayable), retrying until the broker
 * takes it; gives up (rethrows) only when `isStopping` says the receiver is stopping.
 */
export async function produceDeadLetter(
  deps: DeadLetterDeps,
  { receiver, message, partition, notification: n, reason, attempts }: DeadLetter,
  isStopping: () => boolean,
): Promise<void> {
  const { producer, deadLetterTopic, metrics, logger } = deps;
  const h = NOTIFICATION_DLQ_HEADERS;
  for (let tries = 1; ; tries++) {
    try {
      await producer.send({
        topic: deadLetterTopic,
        acks: -1,
        messages: [
          {
            key: n.id,
            value: JSON.stringify({ v: 1, type: 'notification', notification: n }),
            headers: {
              [h.receiver]: receiver,
              [h.reason]: reason.slice(0, 1_000),
              [h.attempts]: String(attempts),
              [h.offset]: message.offset,
              [h.partition]: String(partition),
            },
          },
        ],
      });
      break;
    } catch (err) {
      logger.error(
        { err, receiver, tries },
        'producing a notification dead letter failed; retrying',
      );
      if (isStopping()) throw err;
      await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** tries)));
    }
  }
  metrics.notificationsDeadLettered.inc({ receiver });
  logger.error(
    { receiver, id: n.id, kind: n.kind, attempts, reason },
    'notification dead-lettered (replay with `driftwatch notifications replay`)',
  );
}
