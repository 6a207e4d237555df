import { groupKeyOf } from './groups.js';
import { newInstance, stepInstance, type SeriesIdentity } from './instance.js';
import {
  isCountWindow,
  isDelayedQuality,
  type AlertTransition,
  type AlertNotification,
  type DriftObservation,
} from './model.js';
import { breaches, matches, type AlertRule, type ReceiverPolicy } from './rule.js';
import { readCondition, readsSiblings, siblingsOf } from './condition.js';
import { withRunbookBase } from './template.js';
import { EngineStore, SEP, labelsOf, seriesKey, type StateRecord } from './engine-store.js';
import {
  checkStale,
  forgetGone,
  noteSufficiency,
  resolveOrphans,
  supersedeVersions,
  type LifecycleContext,
} from './lifecycle.js';
import { SilenceSet } from './silence.js';
import type { SilencedAlert } from './silence-hold.js';
import type { InhibitRule } from './inhibition.js';
import { flushGroups } from './group-flush.js';
import { windowsInOrder } from './window-batches.js';
import { DEFAULT_VERSION_POLICY, isRetired, type VersionPolicy } from './versions.js';

export type { StateRecord } from './engine-store.js';
export type { SilencedAlert } from './silence-hold.js';
export { MAX_ALERTS_PER_NOTIFICATION } from './notification.js';

/** What a rules file sets beside its rules and receivers. */
export interface RuleExtras {
  inhibitions?: readonly InhibitRule[];
  versions?: VersionPolicy;
}

export interface EngineOptions {
  /** Dashboard link template ({{model}}, {{model_version}}, {{from}}, {{to}} in ms). */
  dashboardUrl?: string | undefined;
  /** `alerts.runbookBaseUrl`: what `{{runbook_base}}` in rule annotations stands for. */
  runbookBaseUrl?: string | undefined;
  /**
   * Records unchanged this long (event time) are written again, so a time-bounded alert log
   * (retention) never drops live state; after a restore every record is written once.
   */
  refreshAfterMs?: number | undefined;
  /** A series without any window this long is gone: its alerts resolve and it is forgotten. */
  forgetAfterMs?: number | undefined;
  /**
   * `labels.settleAfter`: how long after its window a settled delayed-quality point arrives
   * (its series are gone only that much later than live ones).
   */
  delayedQualityAfterMs?: number | undefined;
  /**
   * Set when this engine sees only some models (one alert-log partition of several): groups
   * not by model are then this engine's own, their notification ids apart from other engines'.
   */
  groupScope?: string | undefined;
}

export interface StepOutput {
  transitions: AlertTransition[];
  notifications: AlertNotification[];
  /** Alerts whose notifications a silence began holding. */
  silenced: SilencedAlert[];
}

const emptyOutput = (): StepOutput => ({ transitions: [], notifications: [], silenced: [] });

/**
 * The alert rules over drift series: a pure, deterministic state machine. The same sequence of
 * windows (and clock ticks) always yields the same transitions and notification ids, which is
 * what makes crash recovery exact and `rules backtest` equal to what the daemon would have done.
 * All durations are in event time: window ends and the watermark.
 */
export class AlertEngine {
  private rules = new Map<string, AlertRule>();
  private inhibitions: readonly InhibitRule[] = [];
  private versionPolicy: VersionPolicy = DEFAULT_VERSION_POLICY;
  private receivers = new Map<string, ReceiverPolicy>();
  private readonly store = new EngineStore();
  private silences = new SilenceSet();
  private readonly options: EngineOptions;

  constructor(
    rules: readonly AlertRule[],
    receivers: readonly ReceiverPolicy[],
    options: EngineOptions = {},
    extras: RuleExtras = {},
  ) {
    this.options = options;
    this.setRules(rules, receivers, extras);
  }

  get now(): number {
    return this.store.clock;
  }

  /** Changed records since the last call, for the durable alert log. */
  takeChanges(): StateRecord[] {
    return this.store.takeChanges();
  }

  /** Rebuilds state from the records `takeChanges` produced (the newest per key wins). */
  restore(key: string, value: unknown): void {
    this.store.restore(key, value);
  }

  get ruleCount(): number {
    return this.rules.size;
  }

  /** Names of the rules in force. */
  get ruleNames(): string[] {
    return [...this.rules.keys()];
  }

  /** Instances per state, for gauges. */
  countByState(): Map<string, number> {
    return this.store.countByState();
  }

  /**
   * New rules (a reload). Alerts of a rule that is gone resolve with that reason at the next
   * evaluation; alerts of a rule that stays keep their state.
   */
  setRules(
    rules: readonly AlertRule[],
    receivers: readonly ReceiverPolicy[],
    extras: RuleExtras = {},
  ): void {
    this.inhibitions = extras.inhibitions ?? [];
    this.versionPolicy = extras.versions ?? DEFAULT_VERSION_POLICY;
    this.rules = new Map(
      rules.map((r) => [r.name, withRunbookBase(r, this.options.runbookBaseUrl)]),
    );
    this.receivers = new Map(receivers.map((r) => [r.name, r]));
    this.store.orphansPossible = true;
  }

  /**
   * The silences in force (all of them, past and future: each holds only within its own time
   * range, at the engine's event-time clock). Applied from the next group decision on.
   */
  setSilences(silences: SilenceSet): void {
    this.silences = silences;
  }

  // ---- evaluation ----

  /** Evaluates closed windows' points; windows already evaluated (a replay) are skipped. */
  evaluate(observations: readonly DriftObservation[]): StepOutput {
    const out = emptyOutput();
    const ordered = windowsInOrder(observations);
    // Timers and groups move once per window end, whatever the number of models closing there.
    let pendingClock: number | undefined;
    for (const points of ordered) {
      const first = points[0];
      if (!first) continue;
      if (pendingClock !== undefined && first.windowEnd !== pendingClock) {
        this.advance(pendingClock, out);
      }
      const modelKey = `${first.model}${SEP}${first.modelVersion}`;
      if (isDelayedQuality(first.method)) {
        this.evaluateDelayed(modelKey, points, out);
        pendingClock = first.windowEnd;
        continue;
      }
      if ((this.store.evaluated.get(modelKey) ?? -Infinity) >= first.windowEnd) continue;
      // With several window sizes, supersede_after counts windows of the smallest.
      let start = first.windowStart;
      for (const p of points) if (p.windowStart > start) start = p.windowStart;
      // A retired version's windows are still written; no rule reads them. Nor do they read a
      // superseded version's windows that do not say it is served again (a larger or count
      // window closing after its last event): they would raise alerts, stale ones too, that
      // nothing would resolve.
      const span = this.store.versionStarts.get(modelKey);
      const servedAgain = !span || span.windowMs === 0 || first.windowEnd - start <= span.windowMs;
      const superseded = this.store.superseded.has(modelKey) && !servedAgain;
      if (!superseded && !isRetired(this.versionPolicy, first.model, first.modelVersion)) {
        for (const rule of this.rules.values()) this.evaluateRule(rule, points, out);
      }
      this.store.noteEvaluated(modelKey, start, first.windowEnd);
      pendingClock = first.windowEnd;
    }
    if (pendingClock !== undefined) this.advance(pendingClock, out);
    return out;
  }

  /**
   * A window's settled delayed quality: evaluated once, in window order of its own (it comes
   * `labels.settleAfter` behind the live windows, which moved the engine's cursor past it long
   * ago). It says nothing about whether the version is served now: no span, no staleness.
   * Superseded and retired versions' are not read (nothing would resolve what they raise).
   */
  private evaluateDelayed(modelKey: string, points: DriftObservation[], out: StepOutput): void {
    const first = points[0];
    if (!first || (this.store.delayedEvaluated.get(modelKey) ?? -Infinity) >= first.windowEnd) {
      return;
    }
    if (
      !this.store.superseded.has(modelKey) &&
      !isRetired(this.versionPolicy, first.model, first.modelVersion)
    ) {
      for (const rule of this.rules.values()) this.evaluateRule(rule, points, out);
    }
    this.store.noteDelayedEvaluated(modelKey, first.windowEnd);
  }

  /** Event time moved on without windows to evaluate (the watermark): timers and staleness. */
  tick(clock: number): StepOutput {
    const out = emptyOutput();
    if (clock > this.store.clock) this.advance(clock, out);
    return out;
  }

  private evaluateRule(rule: AlertRule, points: DriftObservation[], out: StepOutput): void {
    let sufficiency: Map<string, { o: DriftObservation; enough: boolean }> | undefined;
    const siblings = readsSiblings(rule) ? siblingsOf(points) : undefined;
    for (const o of points) {
      if (!matches(rule, o)) continue;
      const reading = readCondition(rule, o, siblings);
      if (reading === undefined) continue;
      const { value } = reading;
      const enough = value !== null;
      // Count windows close when N predictions came or at their cap, so a quiet but served model
      // has none for long stretches: staleness is read from the fixed-length windows.
      if (
        rule.staleAfterMs !== undefined &&
        !isCountWindow(o.window) &&
        !isDelayedQuality(o.method)
      ) {
        sufficiency ??= new Map();
        const seen = sufficiency.get(o.window);
        if (!seen || (enough && !seen.enough)) sufficiency.set(o.window, { o, enough });
      }
      const identity = seriesKey(rule.name, o);
      let st = this.store.instanceBySeries(identity);
      if (!st) {
        // Most series are quiet most of the time: nothing is kept for them until they breach.
        const breaching =
          value !== null
            ? (reading.holds ?? breaches(rule, value))
            : rule.insufficientData === 'breach';
        if (!breaching) continue;
        const series: SeriesIdentity = {
          model: o.model,
          modelVersion: o.modelVersion,
          feature: o.feature,
          method: o.method,
          window: o.window,
        };
        st = newInstance(rule, series, groupKeyOf(rule, labelsOf(series), this.options.groupScope));
        this.store.addInstance(st);
      }
      const transitions = stepInstance(rule, st, {
        value,
        holds: reading.holds,
        criterion: reading.criterion,
        correction: rule.statistic === 'p_value' ? o.correction : null,
        samples: reading.samples,
        baseline: o.baseline,
        windowStart: o.windowStart,
        windowEnd: o.windowEnd,
        insufficientReason: reading.insufficientReason,
        details: o.details,
      });
      out.transitions.push(...transitions);
      if (st.state !== 'inactive' || st.resolvedPending) this.store.ensureGroup(rule, st);
      this.store.touch(st);
    }
    for (const { o, enough } of sufficiency?.values() ?? []) {
      noteSufficiency(this.store, rule, o, enough);
    }
  }

  private advance(clock: number, out: StepOutput): void {
    if (clock > this.store.clock) {
      this.store.clock = clock;
      this.store.dirty.add('t/');
    }
    const ctx: LifecycleContext = {
      store: this.store,
      rules: this.rules,
      groupScope: this.options.groupScope,
    };
    supersedeVersions(ctx, this.versionPolicy, out);
    checkStale(ctx, out);
    forgetGone(ctx, this.options.forgetAfterMs, out, this.options.delayedQualityAfterMs);
    resolveOrphans(ctx, out);
    flushGroups(
      {
        store: this.store,
        rules: this.rules,
        inhibitions: this.inhibitions,
        silences: this.silences,
        receivers: this.receivers,
        dashboardUrl: this.options.dashboardUrl,
      },
      out,
    );
    this.store.refreshOld(this.options.refreshAfterMs);
  }
}
