import type { Admin, EachBatchPayload, Kafka, KafkaMessage, Message } from 'kafkajs';
import { isRebalanceError } from '../kafka/failures.js';
import { readPartitionStarts } from '../kafka/kafka-io.js';
import { ResumeGate } from '../kafka/resume-gate.js';
import { SerialStage } from '../kafka/serial-stage.js';
import type { LabelMetrics } from '../label-metrics.js';
import type { Logger } from '../logger.js';
import { batchContext } from '../shared/batch-context.js';
import { retryUntilSuccess } from '../shared/retry.js';
import { PartitionTaken, PartitionTx } from './partition-tx.js';
import { openAll } from '../kafka/transactional-id.js';

export interface TxStageDeps {
  kafka: Kafka;
  admin: Admin;
  /** The topic consumed, and the group whose offsets the transactions commit. */
  topic: string;
  groupId: string;
  /** Transactional ids are `<txPrefix>.<partition>`. */
  txPrefix: string;
  step: 'rekey' | 'join';
  metrics: LabelMetrics;
  logger: Logger;
  seek: (partition: number, offset: number) => void;
  isStopping: () => boolean;
}

/** What a batch produces; undefined: nothing (the offset then moves with a later batch). */
export interface TxOutput {
  sends: Array<{ topic: string; messages: Message[] }>;
  /** Committed with the offset (the join's clock). */
  metadata?: string;
  /**
   * Runs once the transaction committed (the batch's metrics): an aborted or fenced one is
   * replayed from the last commit, which would count its work again.
   */
  committed?: () => void;
}

interface TxPartition<S> {
  tx: PartitionTx;
  gate: ResumeGate;
  fenced: boolean;
  state: S;
}

/**
 * A delayed-labels step that consumes one partition at a time and commits what a batch
 * produces with the batch's offset in one transaction (id `<txPrefix>.<partition>`). After
 * every join it fences the previous owners, reads the committed offsets and rebuilds each
 * partition's state (`restore`), then `transform`s batches from there.
 */
export abstract class TxPartitionStage<S> extends SerialStage {
  protected readonly deps: TxStageDeps;
  protected readonly parts = new Map<number, TxPartition<S>>();

  protected constructor(deps: TxStageDeps) {
    super();
    this.deps = deps;
  }

  /** Each assigned partition's state, rebuilt from Kafka; `resumeAt`: its committed offset. */
  protected abstract restore(
    assigned: ReadonlyMap<number, { resumeAt: number; metadata: string | null }>,
  ): Promise<Map<number, S>>;

  /**
   * Runs once the assigned partitions' transactional ids are taken over, before their committed
   * offsets are read and `restore` runs; `heartbeat` keeps the membership while it waits.
   */
  protected beforeRestore(
    _txs: ReadonlyMap<number, PartitionTx>,
    _heartbeat: () => Promise<void>,
  ): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Processes messages (offset order) of `partition`; what to commit with their offset. Counts
   * nothing itself: metrics go in `committed`, run after the commit.
   */
  protected abstract transform(
    state: S,
    messages: readonly KafkaMessage[],
    partition: number,
  ): TxOutput | undefined;

  async close(): Promise<void> {
    await this.settled();
    await this.closeAll();
  }

  protected async join(assigned: readonly number[], heartbeat: () => Promise<void>): Promise<void> {
    await this.closeAll();
    const { deps } = this;
    const where = { groupId: deps.groupId, topic: deps.topic, fromBeginning: true };
    // A topic created moments ago may not be in the metadata yet, a producer may not get its
    // transactional id at once during a rebalance: retried, never fatal, none left open.
    const { txs, starts, states } = await retryUntilSuccess(
      () =>
        openAll(
          assigned,
          (p) => PartitionTx.open(deps.kafka, `${deps.txPrefix}.${p}`),
          async (txs) => {
            await this.beforeRestore(
              new Map(txs.map((t, i) => [assigned[i] as number, t])),
              heartbeat,
            );
            const starts = await readPartitionStarts(deps.admin, where, assigned, deps.logger);
            return { txs, starts, states: await this.restore(starts) };
          },
        ),
      {
        what: `restoring the delayed-labels ${deps.step} state`,
        context: batchContext(() => Promise.resolve(), deps.isStopping),
        // The group is rebalancing (seen by a heartbeat): the batch ends, kafkajs rejoins.
        isPermanent: isRebalanceError,
        onFailure: (err, attempt, retryInMs) => {
          deps.metrics.failures.inc({ step: deps.step });
          deps.logger.warn(
            { err, step: deps.step, attempt, retryInMs },
            'restoring failed; retrying',
          );
        },
      },
    );
    assigned.forEach((p, i) => {
      const state = states.get(p);
      const tx = txs[i];
      if (state === undefined || tx === undefined) return;
      const gate = new ResumeGate(starts.get(p)?.resumeAt ?? 0);
      this.parts.set(p, { tx, gate, fenced: false, state });
    });
  }

  protected async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const part = this.parts.get(batch.partition);
    if (!part || part.fenced) return;
    const { deps } = this;
    const first = part.gate.firstUsableIndex(payload, deps.seek, deps.logger);
    if (first === undefined) return;
    const messages = batch.messages.slice(first);
    const last = messages.at(-1);
    if (last === undefined) return;
    const out = this.transform(part.state, messages, batch.partition);
    if (out !== undefined) {
      const consumed = {
        groupId: deps.groupId,
        topic: deps.topic,
        partition: batch.partition,
        offset: Number(last.offset) + 1,
        ...(out.metadata === undefined ? {} : { metadata: out.metadata }),
      };
      try {
        await retryUntilSuccess(() => part.tx.commit(out.sends, consumed), {
          what: `the delayed-labels ${deps.step} transaction`,
          context: batchContext(() => payload.heartbeat(), deps.isStopping),
          isPermanent: (err) => err instanceof PartitionTaken,
          onFailure: (err, attempt, retryInMs) => {
            deps.metrics.failures.inc({ step: deps.step });
            deps.logger.error(
              { err, step: deps.step, partition: batch.partition, attempt, retryInMs },
              'a delayed-labels transaction failed; this partition waits and retries',
            );
          },
        });
      } catch (err) {
        if (!(err instanceof PartitionTaken)) throw err;
        part.fenced = true;
        deps.logger.warn({ step: deps.step, partition: batch.partition }, 'partition taken over');
        return;
      }
      out.committed?.();
    }
    payload.resolveOffset(last.offset);
  }

  private async closeAll(): Promise<void> {
    const open = [...this.parts.values()];
    this.parts.clear();
    await Promise.all(open.map((p) => p.tx.close().catch(() => undefined)));
  }
}
