import type { KafkaMessage, Message } from 'kafkajs';
import { encodeLabel, joinPartition, labelKey } from '../labels/join-records.js';
import { parseLabelMessage } from '../labels/label-message.js';
import { LogLimiter } from '../shared/log-limiter.js';
import { preview } from '../shared/untrusted-text.js';
import { TxPartitionStage, type TxOutput, type TxStageDeps } from './tx-stage.js';

export interface RekeyDeps extends TxStageDeps {
  /** `<groupId>.labels-join` and its partition count. */
  join: { topic: string; partitions: number };
  /** windows.maxFutureSkew: a label stamped further ahead of the wall clock is refused. */
  maxFutureSkewMs: number;
  now?: () => number;
}

/**
 * The re-key step: labels.topic (the user's partitioning) → `<groupId>.labels-join`, each valid
 * label as `l|<id>` on partition joinPartition(id), where its prediction went. Consume-transform-
 * produce: the records and the labels topic offset commit together, so every label reaches the
 * join exactly once. A message that is no label is counted by reason and skipped (logged at
 * most a few times a minute); it never stops the step.
 */
export class RekeyStage extends TxPartitionStage<null> {
  private readonly rekey: RekeyDeps;
  private readonly logLimit = new LogLimiter(5, 60_000);

  constructor(deps: RekeyDeps) {
    super(deps);
    this.rekey = deps;
  }

  protected restore(assigned: ReadonlyMap<number, unknown>): Promise<Map<number, null>> {
    return Promise.resolve(new Map([...assigned.keys()].map((p) => [p, null])));
  }

  protected transform(_: null, messages: readonly KafkaMessage[], partition: number): TxOutput {
    const { join, metrics, logger, maxFutureSkewMs } = this.rekey;
    const futureLimit = (this.rekey.now ?? Date.now)() + maxFutureSkewMs;
    const records: Message[] = [];
    const invalid: string[] = [];
    for (const m of messages) {
      const parsed = parseLabelMessage(m.value, futureLimit);
      if (!parsed.ok) {
        invalid.push(parsed.reason);
        const { log, suppressedBefore } = this.logLimit.take();
        if (log) {
          logger.warn(
            {
              topic: this.deps.topic,
              partition,
              offset: m.offset,
              reason: parsed.reason,
              detail: preview(parsed.detail, 300),
              suppressedBefore,
            },
            'label message skipped (see driftwatch_labels_invalid_total)',
          );
        }
        continue;
      }
      const { id, label, time } = parsed.label;
      records.push({
        partition: joinPartition(id, join.partitions),
        key: labelKey(id),
        value: encodeLabel(label, time),
      });
    }
    return {
      sends: [{ topic: join.topic, messages: records }],
      // Counted once committed: an aborted batch is read again.
      committed: () => {
        for (const reason of invalid) metrics.invalid.inc({ reason });
        metrics.read.inc(records.length);
      },
    };
  }
}
