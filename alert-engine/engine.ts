import { decideGroup, groupKeyOf } from './groups.js';
import { newInstance, stepInstance, type InstanceState, type SeriesIdentity } from './instance.js';
import {
  isCountWindow,
  isDelayedQuality,
  type AlertTransition,
  type AlertNotification,
  type DriftObservation,
} from './model.js';
import { planRetraining } from './retrain.js';
import {
  breaches,
  matches,
  settingsOf,
  ruleFromSettings,
  type AlertRule,
  type ReceiverPolicy,
} from './rule.js';
import { snapshotOf } from './snapshot.js';
import { readCondition, readsSiblings, siblingsOf } from './condition.js';
import { withRunbookBase } from './template.js';
import { EngineStore, SEP, labelsOf, seriesKey, type StateRecord } from './engine-store.js';
import {
  checkStale,
  forgetGone,
  liveRule,
  noteSufficiency,
  resolveOrphans,
  supersedeVersions,
  type LifecycleContext,
} from './lifecycle.js';
import { notificationOf } from './notification.js';
import { SilenceSet } from './silence.js';
import {
  forgetSilenceWhenQuiet,
  heldAsFiring,
  holdSilenced,
  releaseSilenced,
  type SilencedAlert,
} from './silence-hold.js';
import { inhibitedNow, type InhibitRule } from './inhibition.js';
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
    const windows = new Map<string, DriftObservation[]>();
    let last: DriftObservation | undefined;
    let list: DriftObservation[] = [];
    let lastDelayed = false;
    for (const o of observations) {
      const delayed = isDelayedQuality(o.method);
      // Points come window by window: a key is built only where the window changes.
      if (
        !last ||
        o.windowEnd !== last.windowEnd ||
        o.model !== last.model ||
        o.modelVersion !== last.modelVersion ||
        delayed !== lastDelayed
      ) {
        const stream = delayed ? 'd' : 'w';
        const key = `${stream}${SEP}${o.model}${SEP}${o.modelVersion}${SEP}${o.windowEnd}`;
        const known = windows.get(key);
        if (known) list = known;
        else windows.set(key, (list = []));
      }
      list.push(o);
      last = o;
      lastDelayed = delayed;
    }
    const ordered = [...windows.values()].sort(
      (a, b) => (a[0]?.windowEnd ?? 0) - (b[0]?.windowEnd ?? 0),
    );
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
    this.flushGroups(out);
    this.store.refreshOld(this.options.refreshAfterMs);
  }

  private flushGroups(out: StepOutput): void {
    const inhibited = inhibitedNow(this.store, this.rules, this.inhibitions);
    // In key order, members in label order: the same output live, after a restore and in a
    // backtest, whatever order the state was built in.
    for (const groupKey of [...this.store.groups.keys()].sort()) {
      const group = this.store.groups.get(groupKey);
      if (!group) continue;
      const live = liveRule(this.rules, group.rule);
      const rule = live ?? ruleFromSettings(group.settings);
      const ids = this.store.members.get(groupKey) ?? new Set<string>();
      const all = [...ids]
        .map((id) => this.store.instances.get(id))
        .filter((st): st is InstanceState => st !== undefined);
      for (const st of all) if (forgetSilenceWhenQuiet(st)) this.store.touch(st);
      const members = all
        .filter((st) => st.state !== 'inactive' || st.resolvedPending || st.flapping)
        .sort(byLabels);
      const before = JSON.stringify(group);
      if (live) group.settings = settingsOf(live);
      // Inhibited and silenced members change state as ever; the group decides without them.
      const uninhibited =
        inhibited.size === 0 ? members : members.filter((m) => !inhibited.has(m.fingerprint));
      const told = holdSilenced(uninhibited, rule, this.silences, this.store.clock, out.silenced);
      const decision = decideGroup(group, told, rule, this.store.clock, {
        heldAsFiring: heldAsFiring(uninhibited, told),
      });
      if (decision) {
        const n = notificationOf(
          group,
          rule,
          decision,
          this.receivers,
          this.store.clock,
          this.options.dashboardUrl,
        );
        if (n) out.notifications.push(n);
      }
      releaseSilenced(told, new Set(decision?.members.map((m) => m.st)));
      for (const m of members) this.store.touch(m);
      out.notifications.push(
        ...planRetraining(
          group,
          told,
          rule,
          this.receivers,
          this.store.cooldowns,
          this.store.clock,
          (m) => snapshotOf(m, rule, 'firing', m.state),
        ).map((r) => {
          for (const key of r.touchedCooldowns) this.store.dirty.add(`r/${key}`);
          return r.notification;
        }),
      );
      if (group.episodeId === null && members.length === 0) {
        this.store.groups.delete(groupKey);
        // Quiet instances (inactive, still remembered for the flapping guard) keep their
        // membership: the group is re-created when one of them fires again.
        if (ids.size === 0) this.store.members.delete(groupKey);
        this.store.dirty.add(`g/${groupKey}`);
      } else if (JSON.stringify(group) !== before) this.store.dirty.add(`g/${groupKey}`);
    }
  }
}

function byLabels(a: InstanceState, b: InstanceState): number {
  for (const key of [
    'feature',
    'method',
    'window',
    'model',
    'modelVersion',
    'fingerprint',
  ] as const) {
    if (a[key] !== b[key]) return a[key] < b[key] ? -1 : 1;
  }
  return 0;
}
