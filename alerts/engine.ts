import {
  decideGroup,
  groupKeyOf,
  newGroup,
  type GroupDecision,
  type GroupState,
} from './groups.js';
import { stableId } from './ids.js';
import {
  isForgettable,
  newInstance,
  stepInstance,
  transitionOf,
  type InstanceState,
  type SeriesIdentity,
} from './instance.js';
import type { AlertNotification, AlertTransition, DriftObservation } from './model.js';
import { planRetraining } from './retrain.js';
import { breaches, matches, statisticOf, type AlertRule, type ReceiverPolicy } from './rule.js';
import { snapshotOf, linksFor } from './snapshot.js';

export interface EngineOptions {
  /** Dashboard link template ({{model}}, {{model_version}}, {{from}}, {{to}} in ms). */
  dashboardUrl?: string | undefined;
}

export interface StepOutput {
  transitions: AlertTransition[];
  notifications: AlertNotification[];
}

/** A persisted piece of engine state: key → JSON value, null once it is gone. */
export interface StateRecord {
  key: string;
  value: unknown;
}

interface StaleCursor {
  rule: string;
  model: string;
  modelVersion: string;
  window: string;
  lastSufficientEnd: number;
}

const SEP = '\u0000';

/**
 * The alert rules over drift series: a pure, deterministic state machine. The same sequence of
 * windows (and clock ticks) always yields the same transitions and notification ids, which is
 * what makes crash recovery exact and `rules backtest` equal to what the daemon would have done.
 * All durations are in event time: window ends and the watermark.
 */
export class AlertEngine {
  private rules = new Map<string, AlertRule>();
  /** Rules removed by a reload whose alerts are still being resolved. */
  private readonly retired = new Map<string, AlertRule>();
  private receivers = new Map<string, ReceiverPolicy>();
  private readonly instances = new Map<string, InstanceState>();
  private readonly groups = new Map<string, GroupState>();
  private readonly members = new Map<string, Set<string>>();
  /** Series identity (rule + labels, cheap to build) → fingerprint (a hash, built once). */
  private readonly bySeries = new Map<string, string>();
  /** Record keys whose last written value was not null: only those need a tombstone. */
  private readonly persisted = new Set<string>();
  /** Per model and version: the newest window end evaluated (replays of older ones are skipped). */
  private readonly evaluated = new Map<string, number>();
  private readonly stale = new Map<string, StaleCursor>();
  /** Per retrain receiver and model: event time of the last request (cooldown). */
  private readonly cooldowns = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private clock = -Infinity;
  private readonly options: EngineOptions;

  constructor(rules: readonly AlertRule[], receivers: readonly ReceiverPolicy[], options = {}) {
    this.options = options;
    this.setRules(rules, receivers);
  }

  get now(): number {
    return this.clock;
  }

  get ruleCount(): number {
    return this.rules.size;
  }

  /** Instances per state, for gauges. */
  countByState(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const st of this.instances.values()) {
      const key = `${st.rule}${SEP}${st.severity}${SEP}${st.state}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * New rules (a reload). Alerts of a rule that is gone resolve with that reason at the next
   * evaluation; alerts of a rule that stays keep their state.
   */
  setRules(rules: readonly AlertRule[], receivers: readonly ReceiverPolicy[]): void {
    const next = new Map(rules.map((r) => [r.name, r]));
    for (const [name, rule] of this.rules) if (!next.has(name)) this.retired.set(name, rule);
    for (const name of next.keys()) this.retired.delete(name);
    this.rules = next;
    this.receivers = new Map(receivers.map((r) => [r.name, r]));
  }

  // ---- persistence ----

  /** Changed records since the last call, for the durable alert topic. */
  takeChanges(): StateRecord[] {
    const out: StateRecord[] = [];
    for (const key of this.dirty) {
      const value = this.recordValue(key);
      if (value === null) {
        if (!this.persisted.delete(key)) continue;
      } else this.persisted.add(key);
      out.push({ key, value });
    }
    this.dirty.clear();
    return out;
  }

  private recordValue(key: string): unknown {
    const [kind, id = ''] = [key.slice(0, 1), key.slice(2)];
    if (kind === 'i') return this.instances.get(id) ?? null;
    if (kind === 'g') return this.groups.get(id) ?? null;
    if (kind === 'e') return this.evaluated.has(id) ? { upTo: this.evaluated.get(id) } : null;
    if (kind === 's') return this.stale.get(id) ?? null;
    if (kind === 'r') return this.cooldowns.has(id) ? { at: this.cooldowns.get(id) } : null;
    if (kind === 't') return { clock: this.clock };
    return null;
  }

  /** Rebuilds state from the records `takeChanges` produced (the newest per key wins). */
  restore(key: string, value: unknown): void {
    const [kind, id = ''] = [key.slice(0, 1), key.slice(2)];
    if (value === null) this.persisted.delete(key);
    else this.persisted.add(key);
    if (value === null) {
      if (kind === 'i') this.dropInstance(id);
      else if (kind === 'g') this.groups.delete(id);
      else if (kind === 'e') this.evaluated.delete(id);
      else if (kind === 's') this.stale.delete(id);
      else if (kind === 'r') this.cooldowns.delete(id);
      return;
    }
    const v = value as Record<string, unknown>;
    if (kind === 'i') {
      this.dropInstance(id);
      this.addInstance(value as InstanceState);
    } else if (kind === 'g') this.groups.set(id, value as GroupState);
    else if (kind === 'e') this.evaluated.set(id, Number(v.upTo));
    else if (kind === 's') this.stale.set(id, value as StaleCursor);
    else if (kind === 'r') this.cooldowns.set(id, Number(v.at));
    else if (kind === 't') this.clock = Math.max(this.clock, Number(v.clock));
  }

  private dropInstance(id: string): void {
    const st = this.instances.get(id);
    if (!st) return;
    this.instances.delete(id);
    this.bySeries.delete(seriesKey(st.rule, st));
    this.members.get(st.groupKey)?.delete(id);
  }

  private memberSet(groupKey: string): Set<string> {
    let set = this.members.get(groupKey);
    if (!set) this.members.set(groupKey, (set = new Set()));
    return set;
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
      if ((this.evaluated.get(modelKey) ?? -Infinity) >= first.windowEnd) continue;
      for (const rule of this.rules.values()) this.evaluateRule(rule, points, out);
      this.evaluated.set(modelKey, first.windowEnd);
      this.dirty.add(`e/${modelKey}`);
      pendingClock = first.windowEnd;
    }
    if (pendingClock !== undefined) this.advance(pendingClock, out);
    this.retireFinished();
    return out;
  }

  /** Event time moved on without windows to evaluate (the watermark): timers and staleness. */
  tick(clock: number): StepOutput {
    const out: StepOutput = { transitions: [], notifications: [] };
    if (clock > this.clock) this.advance(clock, out);
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
      let st = this.instanceBySeries(identity);
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
        this.addInstance(st);
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
      this.touch(st);
    }
    for (const { o, enough } of sufficiency?.values() ?? []) this.noteSufficiency(rule, o, enough);
  }

  private instanceBySeries(identity: string): InstanceState | undefined {
    const fp = this.bySeries.get(identity);
    return fp === undefined ? undefined : this.instances.get(fp);
  }

  private addInstance(st: InstanceState): void {
    this.instances.set(st.fingerprint, st);
    this.bySeries.set(seriesKey(st.rule, st), st.fingerprint);
    this.memberSet(st.groupKey).add(st.fingerprint);
  }

  private ensureGroup(rule: AlertRule, st: InstanceState): void {
    if (!this.groups.has(st.groupKey)) {
      const labels = labelsOf(st);
      const picked: Record<string, string> = {};
      for (const l of rule.groupBy) picked[l] = labels[l] ?? '';
      this.groups.set(st.groupKey, newGroup(rule, picked));
      this.dirty.add(`g/${st.groupKey}`);
    }
  }

  /** Marks an instance changed; forgets it once there is nothing left to remember. */
  private touch(st: InstanceState): void {
    this.dirty.add(`i/${st.fingerprint}`);
    if (isForgettable(st)) this.dropInstance(st.fingerprint);
  }

  private noteSufficiency(rule: AlertRule, o: DriftObservation, enough: boolean): void {
    const key = [rule.name, o.model, o.modelVersion, o.window].join(SEP);
    const cursor = this.stale.get(key);
    if (!cursor) {
      this.stale.set(key, {
        rule: rule.name,
        model: o.model,
        modelVersion: o.modelVersion,
        window: o.window,
        lastSufficientEnd: enough ? o.windowEnd : o.windowStart,
      });
      this.dirty.add(`s/${key}`);
    } else if (enough && o.windowEnd > cursor.lastSufficientEnd) {
      cursor.lastSufficientEnd = o.windowEnd;
      this.dirty.add(`s/${key}`);
    }
  }

  private advance(clock: number, out: StepOutput): void {
    if (clock > this.clock) {
      this.clock = clock;
      this.dirty.add('t/');
    }
    this.checkStale(out);
    this.resolveRetired(out);
    this.flushGroups(out);
  }

  /** `<rule>:stale`: no sufficient window of the model for stale_after (event time). */
  private checkStale(out: StepOutput): void {
    for (const [key, cursor] of this.stale) {
      const rule = this.rules.get(cursor.rule);
      if (!rule || rule.staleAfterMs === undefined) {
        this.stale.delete(key);
        this.dirty.add(`s/${key}`);
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
      const ageSeconds = (this.clock - cursor.lastSufficientEnd) / 1000;
      let st = this.instanceBySeries(seriesKey(staleRule.name, series));
      if (!st) {
        if (ageSeconds < staleRule.threshold) continue;
        st = newInstance(staleRule, series, groupKeyOf(staleRule, labelsOf(series)));
        this.addInstance(st);
      }
      if (st.windowEnd === this.clock && st.windowStart === cursor.lastSufficientEnd) continue;
      out.transitions.push(
        ...stepInstance(staleRule, st, {
          value: ageSeconds,
          samples: 0,
          baseline: st.baseline,
          windowStart: cursor.lastSufficientEnd,
          windowEnd: this.clock,
        }),
      );
      st.stateReason =
        st.state === 'inactive'
          ? null
          : `no window with at least ${rule.minSamples} samples since ${new Date(cursor.lastSufficientEnd).toISOString()}`;
      this.ensureGroup(staleRule, st);
      this.touch(st);
    }
  }

  /** Alerts of rules a reload removed: resolved (reason given), then the rule is forgotten. */
  private resolveRetired(out: StepOutput): void {
    if (this.retired.size === 0) return;
    for (const st of [...this.instances.values()]) {
      const rule = this.retired.get(baseRuleName(st.rule));
      if (!rule) continue;
      const active = st.state === 'firing' || st.state === 'recovering' || st.state === 'pending';
      if (active) {
        st.seq++;
        st.endsAt = this.clock;
        st.stateReason = 'rule removed from the rules file';
        const to = st.state === 'pending' ? 'inactive' : 'resolved';
        out.transitions.push(transitionOf(st, rule, st.state, to, this.clock));
      }
      // Held firing while flapping counts as told: its resolution is still owed.
      const told = st.notified === 'firing' && st.state !== 'pending';
      st.resolvedPending = st.resolvedPending || (told && (active || st.flapping));
      st.state = 'inactive';
      st.breaches = 0;
      st.flapping = false;
      st.episodeStarts = [];
      this.touch(st);
    }
  }

  private retireFinished(): void {
    for (const name of this.retired.keys()) {
      const busy = [...this.instances.values()].some((st) => baseRuleName(st.rule) === name);
      if (!busy) this.retired.delete(name);
    }
  }

  private ruleFor(name: string): AlertRule | undefined {
    const base = baseRuleName(name);
    const rule = this.rules.get(base) ?? this.retired.get(base);
    if (!rule || base === name) return rule;
    return rule.staleAfterMs === undefined ? undefined : staleRuleOf(rule, rule.staleAfterMs);
  }

  private flushGroups(out: StepOutput): void {
    for (const [groupKey, group] of this.groups) {
      const rule = this.ruleFor(group.rule);
      const ids = this.members.get(groupKey) ?? new Set<string>();
      const members = [...ids]
        .map((id) => this.instances.get(id))
        .filter((st): st is InstanceState => st !== undefined)
        .filter((st) => st.state !== 'inactive' || st.resolvedPending || st.flapping)
        .sort((a, b) => (a.feature < b.feature ? -1 : a.feature > b.feature ? 1 : 0));
      if (!rule) {
        this.groups.delete(groupKey);
        this.dirty.add(`g/${groupKey}`);
        continue;
      }
      const before = JSON.stringify(group);
      const decision = decideGroup(group, members, rule, this.clock);
      if (decision) {
        const n = this.notificationOf(group, rule, decision);
        if (n) out.notifications.push(n);
        for (const m of members) this.touch(m);
      }
      out.notifications.push(
        ...planRetraining(group, members, rule, this.receivers, this.cooldowns, this.clock, (m) =>
          snapshotOf(m, rule, 'firing', m.state),
        ).map((r) => {
          for (const key of r.touchedCooldowns) this.dirty.add(`r/${key}`);
          return r.notification;
        }),
      );
      if (group.episodeId === null && members.length === 0) {
        this.groups.delete(groupKey);
        // Quiet instances (inactive, still remembered for the flapping guard) keep their
        // membership: the group is re-created when one of them fires again.
        if (ids.size === 0) this.members.delete(groupKey);
        this.dirty.add(`g/${groupKey}`);
      } else if (JSON.stringify(group) !== before) this.dirty.add(`g/${groupKey}`);
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
    const alerts = told.map((m) => snapshotOf(m.st, rule, m.status, m.state));
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
      time: this.clock,
      alerts,
      links: linksFor(alerts, this.options.dashboardUrl),
    };
  }
}

function seriesKey(rule: string, s: SeriesIdentity): string {
  return `${rule}${SEP}${s.model}${SEP}${s.modelVersion}${SEP}${s.feature}${SEP}${s.method}${SEP}${s.window}`;
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

const STALE_SUFFIX = ':stale';
const baseRuleName = (name: string) =>
  name.endsWith(STALE_SUFFIX) ? name.slice(0, -STALE_SUFFIX.length) : name;

/** The monitor-stale alert of a rule: "seconds without a sufficient window >= stale_after". */
function staleRuleOf(rule: AlertRule, staleAfterMs: number): AlertRule {
  return {
    ...rule,
    name: `${rule.name}${STALE_SUFFIX}`,
    statistic: 'value',
    op: '>=',
    threshold: staleAfterMs / 1000,
    recoverThreshold: staleAfterMs / 1000,
    escalate: undefined,
    forWindows: 0,
    keepFiringFor: 0,
    insufficientData: 'keep_last',
    severity: rule.staleSeverity,
    staleAfterMs: undefined,
    receivers: rule.receivers,
    annotations: {
      summary: `No data for {{model}}@{{model_version}}: no window with enough samples for ${Math.round(staleAfterMs / 60_000)} min`,
      ...(rule.annotations.runbook_url ? { runbook_url: rule.annotations.runbook_url } : {}),
    },
  };
}
