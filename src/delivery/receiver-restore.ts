/**
 * State a notifier keeps across notifications (the Alertmanager notifier: the alerts it keeps
 * alive), rebuilt whenever its receiver gains alert-log partitions: at start, and when a
 * rebalance hands it a partition another replica held. The notifications of this receiver
 * below the group's committed offset of each gained partition are handed to the notifier's
 * `restore`, in log order; everything from that offset on the receiver consumer delivers
 * itself, after the restore (its batches wait for `ready()`), so the notifier sees one order.
 */
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { decodeEntry } from '../alerting/alert-log.js';
import { readTopicToEnd } from '../kafka/read-to-end.js';
import type { Logger } from '../logger.js';
import type { Notifier } from './notifiers/notifier.js';

export interface ReceiverRestoreDeps {
  kafka: Kafka;
  admin: Admin;
  topic: string;
  logger: Logger;
}

export class ReceiverRestore {
  private held = new Set<number>();
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: ReceiverRestoreDeps,
    private readonly groupId: string,
    private readonly receiver: string,
    private readonly notifier: () => Notifier,
  ) {}

  /** The consumer joined its group holding `partitions` (kafkajs' GROUP_JOIN). */
  joined(partitions: readonly number[]): void {
    const notifier = this.notifier();
    notifier.assigned?.(partitions);
    const gained = partitions.filter((p) => !this.held.has(p));
    this.held = new Set(partitions);
    if (gained.length === 0 || !notifier.restore) return;
    this.pending = this.pending.then(() => this.restore(gained));
  }

  /** The notifier was replaced (a rules reload): it rebuilds from every partition held. */
  rebuild(): void {
    if (this.held.size === 0 || !this.notifier().restore) return;
    const partitions = [...this.held];
    this.pending = this.pending.then(() => this.restore(partitions));
  }

  /** Resolves once every restore begun so far is done (failed ones are logged). */
  ready(): Promise<void> {
    return this.pending;
  }

  private async restore(partitions: number[]): Promise<void> {
    const { kafka, admin, topic, logger } = this.deps;
    const receiver = this.receiver;
    try {
      const committed = await admin.fetchOffsets({ groupId: this.groupId, topics: [topic] });
      const below = new Map<number, number>();
      for (const p of committed[0]?.partitions ?? []) {
        if (partitions.includes(p.partition) && Number(p.offset) > 0) {
          below.set(p.partition, Number(p.offset));
        }
      }
      let restored = 0;
      const read = (partition: number, m: KafkaMessage) => {
        if (Number(m.offset) >= (below.get(partition) ?? 0)) return;
        let entry;
        try {
          entry = decodeEntry(m.value);
        } catch {
          return; // Unreadable: the receiver consumer skipped and counted it when it read it.
        }
        if (entry?.type !== 'notification') return;
        if (!entry.notification.receivers.includes(receiver)) return;
        this.notifier().restore?.(entry.notification, { partition });
        restored++;
      };
      if (below.size > 0) {
        await readTopicToEnd(kafka, admin, topic, 'driftwatch-restore', read, [...below.keys()]);
      }
      logger.info({ receiver, partitions, notifications: restored }, 'receiver state restored');
    } catch (err) {
      // The receiver still delivers; what it keeps alive starts from its next notifications.
      logger.error({ err, receiver, partitions }, 'receiver state not restored');
    }
  }
}
