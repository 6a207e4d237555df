import {
  decideGroup,
  groupKeyOf,
  newGroup,
  type GroupDecision,
  type GroupState,
} from './groups.js';
import { stableId } from './ids.js';
import {
  newInstance,
  stepInstance,
  transitionOf,
  type InstanceState,
  type SeriesIdentity,
} from './instance.js';
import {
  severityRank,
  type AlertNotification,
  type AlertTransition,
  type DriftObservation,
} from './model.js';
import { planRetraining } from './retrain.js';
import {
  breaches,
  matches,
  ruleFromSettings,
  settingsOf,
  statisticOf,
  type AlertRule,
  type ReceiverPolicy,
} from './rule.js';
import { snapshotOf, linksFor } from './snapshot.js';
import { EngineStore, SEP, seriesKey, type StateRecord } from './engine-store.js';

export type { StateRecord } from './engine-store.js';
import { baseRuleName, staleRuleOf, STALE_SUFFIX } from './stale.js';

export interface EngineOptions {
  /** Dashboard link template ({{model}}, {{model_version}}, {{from}}, {{to}} in ms). */
  dashboardUrl?: string | undefined;
  /**
   * Records unchanged this long (event time) are written again, so a time-bounded alert log
   * (retention) never drops live state; after a restore every record is written once.
   */
  refreshAfterMs?: number | undefined;
  /** A series without any window this long is gone: its alerts resolve and it is forgotten. */
  forgetAfterMs?: number | undefined;
}

/** Alerts listed in one notification at most; the rest are counted (`truncatedAlerts`). */
export const MAX_ALERTS_PER_NOTIFICATION = 100;
const DEFAULT_FORGET_AFTER_MS = 7 * 86_400_000;

export interface StepOutput {
  transitions: AlertTransition[];
  notifications: AlertNotification[];
}

/**
 * The alert rules over drift series: a pure, deterministic state machine. The same sequence of
 * windows (and clock ticks) always yields the same transitions and notification ids, which is
 * what makes crash recovery exact and `rules backtest` equal to what the daemon would have done.
 * All durations are in event time: window ends and the watermark.
 */
export class AlertEngine {
  private rules = new Map<string, AlertRule>();
  private receivers = new Map<string, ReceiverPolicy>();
  private readonly store = new EngineStore();
  private readonly options: EngineOptions;

  constructor(rules: readonly AlertRule[], receivers: readonly ReceiverPolicy[], options = {}) {
    this.options = options;
    this.setRules(rules, receivers);
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

  /** Instances per state, for gauges. */
  countByState(): Map<string, number> {
    return this.store.countByState();
  }

  /**
   * New rules (a reload). Alerts of a rule that is gone resolve with that reason at the next
   * evaluation; alerts of a rule that stays keep their state.
   */
  setRules(rules: readonly AlertRule[], receivers: readonly ReceiverPolicy[]): void {
    this.rules = new Map(rules.map((r) => [r.name, r]));
    this.receivers = new Map(receivers.map((r) => [r.name, r]));
    this.store.orphansPossible = true;
  }

  // ---- evaluation ----

  /** Evaluates closed windows' points; windows already evaluated (a replay) are skipped. */
  evaluate(observations: readonly DriftObservation[]): StepOutput {
    const out: StepOutput = { transitions: [], notifications: [] };
    const windows = new Map<string, DriftObservation[]>();
    let last: DriftObservation | undefined;
    let list: DriftObservation[] = [];
    for (const o of observations) {
      // Points come window by window: a key is built only where the window changes.
      if (
        !last ||
        o.windowEnd !== last.windowEnd ||
        o.model !== last.model ||
        o.modelVersion !== last.modelVersion
      ) {
        const key = `${o.model}${SEP}${o.modelVersion}${SEP}${o.windowEnd}`;
        const known = windows.get(key);
        if (known) list = known;
        else windows.set(key, (list = []));
      }
      list.push(o);
      last = o;
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
      if ((this.store.evaluated.get(modelKey) ?? -Infinity) >= first.windowEnd) continue;
      for (const rule of this.rules.values()) this.evaluateRule(rule, points, out);
      this.store.evaluated.set(modelKey, first.windowEnd);
      this.store.dirty.add(`e/${modelKey}`);
      pendingClock = first.windowEnd;
    }
    if (pendingClock !== undefined) this.advance(pendingClock, out);
    return out;
  }

  /** Event time moved on without windows to evaluate (the watermark): timers and staleness. */
  tick(clock: number): StepOutput {
    const out: StepOutput = { transitions: [], notifications: [] };
    if (clock > this.store.clock) this.advance(clock, out);
    return out;
  }

  private evaluateRule(rule: AlertRule, points: DriftObservation[], out: StepOutput): void {
    let sufficiency: Map<string, { o: DriftObservation; enough: boolean }> | undefined;
    for (const o of points) {
      if (!matches(rule, o)) continue;
      const value = statisticOf(rule, o);
      if (value === undefined) continue;
      // drift_share's n counts features (each already held to drift.minSamples).
      const samples = rule.statistic === 'missing_share' ? o.n + o.missing : o.n;
      const enough =
        value !== null &&
        o.status === 'ok' &&
        (rule.statistic === 'drift_share' || samples >= rule.minSamples);
      if (rule.staleAfterMs !== undefined) {
        sufficiency ??= new Map();
        const seen = sufficiency.get(o.window);
        if (!seen || (enough && !seen.enough)) sufficiency.set(o.window, { o, enough });
      }
      const identity = seriesKey(rule.name, o);
      let st = this.store.instanceBySeries(identity);
      if (!st) {
        // Most series are quiet most of the time: nothing is kept for them until they breach.
        const breaching = enough ? breaches(rule, value) : rule.insufficientData === 'breach';
        if (!breaching) continue;
        const series: SeriesIdentity = {
          model: o.model,
          modelVersion: o.modelVersion,
          feature: o.feature,
          method: o.method,
          window: o.window,
        };
        st = newInstance(rule, series, groupKeyOf(rule, labelsOf(series)));
        this.store.addInstance(st);
      }
      const transitions = stepInstance(rule, st, {
        value: enough ? value : null,
        samples,
        baseline: o.baseline,
        windowStart: o.windowStart,
        windowEnd: o.windowEnd,
        insufficientReason:
          value === null || o.status !== 'ok'
            ? `no value this window (${o.status})`
            : `insufficient data: ${samples} samples < min_samples ${rule.minSamples}`,
      });
      out.transitions.push(...transitions);
      if (st.state !== 'inactive' || st.resolvedPending) this.ensureGroup(rule, st);
      this.store.touch(st);
    }
    for (const { o, enough } of sufficiency?.values() ?? []) this.noteSufficiency(rule, o, enough);
  }

  private ensureGroup(rule: AlertRule, st: InstanceState): void {
    if (!this.store.groups.has(st.groupKey)) {
      const labels = labelsOf(st);
      const picked: Record<string, string> = {};
      for (const l of rule.groupBy) picked[l] = labels[l] ?? '';
      this.store.groups.set(st.groupKey, newGroup(rule, picked));
      this.store.dirty.add(`g/${st.groupKey}`);
    }
  }

  private noteSufficiency(rule: AlertRule, o: DriftObservation, enough: boolean): void {
    const key = [rule.name, o.model, o.modelVersion, o.window].join(SEP);
    const cursor = this.store.stale.get(key);
    if (!cursor) {
      this.store.stale.set(key, {
        rule: rule.name,
        model: o.model,
        modelVersion: o.modelVersion,
        window: o.window,
        lastSufficientEnd: enough ? o.windowEnd : o.windowStart,
      });
      this.store.dirty.add(`s/${key}`);
    } else if (enough && o.windowEnd > cursor.lastSufficientEnd) {
      cursor.lastSufficientEnd = o.windowEnd;
      this.store.dirty.add(`s/${key}`);
    }
  }

  private advance(clock: number, out: StepOutput): void {
    if (clock > this.store.clock) {
      this.store.clock = clock;
      this.store.dirty.add('t/');
    }
    this.checkStale(out);
    this.forgetGone(out);
    this.resolveOrphans(out);
    this.flushGroups(out);
    this.store.refreshOld(this.options.refreshAfterMs);
  }

  /**
   * Ends an instance's life from outside its rule (rule removed, series gone): a firing alert
   * resolves with the reason, and its resolution is notified if it was told of.
   */
  private forceResolve(st: InstanceState, rule: AlertRule, reason: string, out: StepOutput): void {
    const active = st.state === 'firing' || st.state === 'recovering' || st.state === 'pending';
    if (active) {
      st.seq++;
      st.endsAt = this.store.clock;
      st.stateReason = reason;
      const to = st.state === 'pending' ? 'inactive' : 'resolved';
      out.transitions.push(transitionOf(st, rule, st.state, to, this.store.clock));
    }
    // Held firing while flapping counts as told: its resolution is still owed.
    const told = st.notified === 'firing' && st.state !== 'pending';
    st.resolvedPending = st.resolvedPending || (told && (active || st.flapping));
    st.state = 'inactive';
    st.breaches = 0;
    st.flapping = false;
    st.episodeStarts = [];
    if (st.resolvedPending && !this.store.groups.has(st.groupKey)) st.resolvedPending = false;
    this.store.touch(st);
  }

  /**
   * Series without any window for forgetAfterMs (a model version replaced, a feature dropped):
   * their alerts resolve ("series gone") and their cursors are forgotten, so nothing fires
   * forever and memory stays bounded.
   */
  private forgetGone(out: StepOutput): void {
    const limit = this.store.clock - (this.options.forgetAfterMs ?? DEFAULT_FORGET_AFTER_MS);
    for (const [key, upTo] of this.store.evaluated) {
      if (upTo >= limit) continue;
      this.store.evaluated.delete(key);
      this.store.dirty.add(`e/${key}`);
    }
    for (const key of [...this.store.stale.keys()].sort()) {
      const cursor = this.store.stale.get(key);
      if (!cursor || cursor.lastSufficientEnd >= limit) continue;
      this.store.stale.delete(key);
      this.store.dirty.add(`s/${key}`);
      const name = `${cursor.rule}${STALE_SUFFIX}`;
      const st = this.store.instanceBySeries(
        seriesKey(name, { ...cursor, feature: '*', method: '*' }),
      );
      const rule = this.ruleFor(name, st?.groupKey);
      if (st && rule) this.forceResolve(st, rule, 'series gone: no window for a long time', out);
    }
    for (const st of this.store.sortedInstances()) {
      if (st.rule.endsWith(STALE_SUFFIX) || st.windowEnd >= limit) continue;
      const rule = this.ruleFor(st.rule, st.groupKey);
      if (rule) this.forceResolve(st, rule, 'series gone: no window for a long time', out);
      else this.store.dropInstance(st.fingerprint);
    }
  }

  /** `<rule>:stale`: no sufficient window of the model for stale_after (event time). */
  private checkStale(out: StepOutput): void {
    for (const key of [...this.store.stale.keys()].sort()) {
      const cursor = this.store.stale.get(key);
      if (!cursor) continue;
      const rule = this.rules.get(cursor.rule);
      if (!rule || rule.staleAfterMs === undefined) {
        // Its stale alert, if any, is an orphan now (resolveOrphans ends it).
        this.store.stale.delete(key);
        this.store.dirty.add(`s/${key}`);
        continue;
      }
      const staleRule = staleRuleOf(rule, rule.staleAfterMs);
      const series: SeriesIdentity = {
        model: cursor.model,
        modelVersion: cursor.modelVersion,
        feature: '*',
        method: '*',
        window: cursor.window,
      };
      const ageSeconds = (this.store.clock - cursor.lastSufficientEnd) / 1000;
      let st = this.store.instanceBySeries(seriesKey(staleRule.name, series));
      if (!st) {
        if (ageSeconds < staleRule.threshold) continue;
        st = newInstance(staleRule, series, groupKeyOf(staleRule, labelsOf(series)));
        this.store.addInstance(st);
      }
      if (st.windowEnd === this.store.clock && st.windowStart === cursor.lastSufficientEnd)
        continue;
      out.transitions.push(
        ...stepInstance(staleRule, st, {
          value: ageSeconds,
          samples: 0,
          baseline: st.baseline,
          windowStart: cursor.lastSufficientEnd,
          windowEnd: this.store.clock,
        }),
      );
      st.stateReason =
        st.state === 'inactive'
          ? null
          : `no window with at least ${rule.minSamples} samples since ${new Date(cursor.lastSufficientEnd).toISOString()}`;
      this.ensureGroup(staleRule, st);
      this.store.touch(st);
    }
  }

  /**
   * Alerts whose rule (or its stale_after) left the rules file — by a reload, or while the
   * daemon was down: resolved with that reason through the settings their group remembers.
   */
  private resolveOrphans(out: StepOutput): void {
    if (!this.store.orphansPossible) return;
    this.store.orphansPossible = false;
    for (const st of this.store.sortedInstances()) {
      if (this.liveRule(st.rule)) continue;
      const rule = this.ruleFor(st.rule, st.groupKey);
      if (rule) this.forceResolve(st, rule, 'rule removed from the rules file', out);
      else this.store.dropInstance(st.fingerprint);
    }
  }

  /** The rule in force for an alert name (`r` or `r:stale`), if any. */
  private liveRule(name: string): AlertRule | undefined {
    const base = baseRuleName(name);
    const rule = this.rules.get(base);
    if (!rule || base === name) return rule;
    return rule.staleAfterMs === undefined ? undefined : staleRuleOf(rule, rule.staleAfterMs);
  }

  /** The live rule, else the one the alert's group remembers (to finish its episode). */
  private ruleFor(name: string, groupKey?: string): AlertRule | undefined {
    const live = this.liveRule(name);
    if (live) return live;
    const group = groupKey === undefined ? undefined : this.store.groups.get(groupKey);
    return group ? ruleFromSettings(group.settings) : undefined;
  }

  private flushGroups(out: StepOutput): void {
    // In key order, members in label order: the same output live, after a restore and in a
    // backtest, whatever order the state was built in.
    for (const groupKey of [...this.store.groups.keys()].sort()) {
      const group = this.store.groups.get(groupKey);
      if (!group) continue;
      const live = this.liveRule(group.rule);
      const rule = live ?? ruleFromSettings(group.settings);
      const ids = this.store.members.get(groupKey) ?? new Set<string>();
      const members = [...ids]
        .map((id) => this.store.instances.get(id))
        .filter((st): st is InstanceState => st !== undefined)
        .filter((st) => st.state !== 'inactive' || st.resolvedPending || st.flapping)
        .sort(byLabels);
      const before = JSON.stringify(group);
      if (live) group.settings = settingsOf(live);
      const decision = decideGroup(group, members, rule, this.store.clock);
      if (decision) {
        const n = this.notificationOf(group, rule, decision);
        if (n) out.notifications.push(n);
      }
      for (const m of members) this.store.touch(m);
      out.notifications.push(
        ...planRetraining(
          group,
          members,
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

  private notificationOf(
    group: GroupState,
    rule: AlertRule,
    decision: GroupDecision,
  ): AlertNotification | undefined {
    const { kind, episodeId, seq, members: told } = decision;
    const receivers = rule.receivers.filter((name) => {
      const policy = this.receivers.get(name);
      if (!policy || policy.type === 'retrain') return false;
      return kind !== 'resolved' || (policy.sendResolved ?? rule.sendResolved);
    });
    if (receivers.length === 0) return undefined;
    // Firing before resolved, the most severe first, so a cut list keeps what matters.
    const ordered = [...told].sort(
      (a, b) =>
        Number(a.status !== 'firing') - Number(b.status !== 'firing') ||
        severityRank(b.st.severity) - severityRank(a.st.severity),
    );
    const alerts = ordered
      .slice(0, MAX_ALERTS_PER_NOTIFICATION)
      .map((m) => snapshotOf(m.st, rule, m.status, m.state));
    const severities = alerts.filter((a) => a.status === 'firing').map((a) => a.severity);
    return {
      id: stableId('notification', group.groupKey, episodeId, seq, kind),
      kind,
      receivers,
      groupKey: group.groupKey,
      groupLabels: { rule: group.rule, ...group.labels },
      groupEpisodeId: episodeId,
      groupSeq: seq,
      severity: decision.severity ?? severities[0] ?? rule.severity,
      status: kind === 'resolved' ? 'resolved' : 'firing',
      time: this.store.clock,
      alerts,
      truncatedAlerts: told.length - alerts.length,
      links: linksFor(alerts, this.options.dashboardUrl),
    };
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

function labelsOf(s: SeriesIdentity): Record<string, string> {
  return {
    model: s.model,
    model_version: s.modelVersion,
    feature: s.feature,
    method: s.method,
    window: s.window,
  };
}
