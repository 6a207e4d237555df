import type { Admin } from 'kafkajs';
import type { WindowPoint } from '../drift/window-points.js';
import type { BatchContext } from '../shared/batch-context.js';
import { SilenceSet } from '../../alert-engine/silence.js';
import { restoreAlertLog } from './alert-log.js';
import { AlertPartition, type AlertPartitionDeps, type RuleSet } from './alert-partition.js';

export interface AlertPartitionsDeps extends AlertPartitionDeps {
  admin: Admin;
  /** Q: the alert log's partition count (models are routed over Q). */
  partitions: number;
}

/**
 * The alert-log partitions this daemon owns, each with its engine and writer. Ownership
 * follows the evaluation: whoever evaluates a model's windows holds the partition its state
 * lives in. Rules apply to every engine; the alert state of a partition given up is dropped
 * (its next owner restores it from the log). Calls must not overlap (the caller serialises
 * assignment and evaluation).
 */
export class AlertPartitions {
  private readonly deps: AlertPartitionsDeps;
  private readonly owned = new Map<number, AlertPartition>();
  private rules: RuleSet;
  private silences = new SilenceSet();

  constructor(deps: AlertPartitionsDeps, rules: RuleSet) {
    this.deps = deps;
    this.rules = rules;
    this.warnAboutScopedGroups();
  }

  get count(): number {
    return this.deps.partitions;
  }

  /** The partitions held, ascending. */
  get assigned(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  /**
   * Holds exactly `partitions` from now on. Partitions given up stop writing (their state is
   * dropped); new ones take over their transactional ids (fencing the previous owner, which
   * may still be running) and only then restore their state from the log, all in one read.
   */
  async assign(partitions: readonly number[]): Promise<void> {
    const { logger, partitions: count } = this.deps;
    const wanted = new Set(partitions);
    for (const q of wanted) {
      if (!Number.isInteger(q) || q < 0 || q >= count) {
        throw new Error(`alert-log partition ${q} does not exist (the log has ${count})`);
      }
    }
    const revoked = [...this.owned.values()].filter((p) => !wanted.has(p.partition));
    for (const p of revoked) this.owned.delete(p.partition);
    await Promise.all(revoked.map((p) => p.close()));
    const added = new Map<number, AlertPartition>();
    for (const q of [...wanted].sort((a, b) => a - b)) {
      if (this.owned.has(q)) continue;
      const p = new AlertPartition(this.deps, q, this.rules, count > 1);
      p.engine.setSilences(this.silences);
      added.set(q, p);
    }
    if (added.size > 0) {
      try {
        const restored = await restoreAlertLog(
          {
            kafka: this.deps.kafka,
            admin: this.deps.admin,
            topic: this.deps.topic,
            writers: new Map([...added].map(([q, p]) => [q, p.writer])),
          },
          (q, key, value) => added.get(q)?.engine.restore(key, value),
          logger,
        );
        logger.info(
          { topic: this.deps.topic, partitions: [...added.keys()], ...restored },
          'alert state restored from the alert log',
        );
      } catch (err) {
        await Promise.all([...added.values()].map((p) => p.close().catch(() => undefined)));
        throw err;
      }
      for (const [q, p] of added) this.owned.set(q, p);
    }
    if (revoked.length > 0 || added.size > 0) {
      logger.info(
        {
          assigned: this.assigned,
          added: [...added.keys()],
          revoked: revoked.map((p) => p.partition),
        },
        'alert-log partitions assigned',
      );
    }
  }

  /**
   * What AlertPartition.onWindows does, for partition q's windows (every window of a model
   * routed to q; none for a mere watermark tick). Throws when q is not held.
   */
  onWindows(
    q: number,
    points: readonly WindowPoint[],
    watermark: number,
    context: BatchContext,
  ): Promise<void> {
    const p = this.owned.get(q);
    if (!p) {
      return Promise.reject(
        new Error(
          `alert-log partition ${q} is not held by this daemon (held: ${this.assigned.join(', ')})`,
        ),
      );
    }
    return p.onWindows(points, watermark, context);
  }

  /** Names of the rules in force. */
  get ruleNames(): string[] {
    return this.rules.rules.map((r) => r.name);
  }

  /** New rules (a reload) for every engine, and for those of partitions assigned later. */
  setRules(
    rules: RuleSet['rules'],
    policies: RuleSet['policies'],
    extras: Omit<RuleSet, 'rules' | 'policies'> = {},
  ): void {
    this.rules = { rules, policies, ...extras };
    for (const p of this.owned.values()) p.engine.setRules(rules, policies, extras);
    this.warnAboutScopedGroups();
  }

  /** The silences (all of them) for every engine, and for those of partitions assigned later. */
  setSilences(silences: SilenceSet): void {
    this.silences = silences;
    for (const p of this.owned.values()) p.engine.setSilences(silences);
  }

  /** Instances per rule, severity and state, over every partition held. */
  countByState(): Map<string, number> {
    const total = new Map<string, number>();
    for (const p of this.owned.values()) {
      for (const [key, n] of p.engine.countByState()) total.set(key, (total.get(key) ?? 0) + n);
    }
    return total;
  }

  /** Stops writing to every partition held. */
  async close(): Promise<void> {
    const all = [...this.owned.values()];
    this.owned.clear();
    await Promise.all(all.map((p) => p.close()));
  }

  /** Groups not by model are formed per partition once there are several: say so up front. */
  private warnAboutScopedGroups(): void {
    if (this.deps.partitions <= 1) return;
    const rules = this.rules.rules.filter((r) => !r.groupBy.includes('model')).map((r) => r.name);
    if (rules.length === 0) return;
    this.deps.logger.warn(
      { rules, partitions: this.deps.partitions },
      'these rules group without `model`: with an alert log of several partitions their groups form per partition (the models routed to it), so one group may notify once per partition',
    );
  }
}
