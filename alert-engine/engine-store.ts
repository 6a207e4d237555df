import { newGroup, type GroupState } from './groups.js';
import { isForgettable, type InstanceState, type SeriesIdentity } from './instance.js';
import type { AlertRule } from './rule.js';
import type { StaleCursor } from './stale.js';
import type { Supersession, VersionSpan } from './versions.js';

/** A persisted piece of engine state: key → JSON value, null once it is gone. */
export interface StateRecord {
  key: string;
  value: unknown;
}

export const SEP = '\u0000';

/** Rule and series labels as one string: cheap to build, unlike the fingerprint hash. */
export function seriesKey(rule: string, s: SeriesIdentity): string {
  return `${rule}${SEP}${s.model}${SEP}${s.modelVersion}${SEP}${s.feature}${SEP}${s.method}${SEP}${s.window}`;
}

/** A series' identity as alert labels (snake_case, as rules and groups name them). */
export function labelsOf(s: SeriesIdentity): Record<string, string> {
  return {
    model: s.model,
    model_version: s.modelVersion,
    feature: s.feature,
    method: s.method,
    window: s.window,
  };
}

/** An alert's labels as notifications show them; silences and inhibit rules match these. */
export function alertLabels(st: InstanceState, rule: AlertRule): Record<string, string> {
  return { rule: st.rule, ...labelsOf(st), severity: st.severity, ...rule.labels };
}

/**
 * Everything the alert engine remembers, and its persistence as keyed records: `i/` instances,
 * `g/` groups, `e/` evaluation cursors, `d/` delayed-quality cursors, `s/` staleness cursors, `r/` retrain cooldowns, `t/` the
 * clock. Changed keys are collected (`dirty`) and handed out by `takeChanges`.
 */
export class EngineStore {
  readonly instances = new Map<string, InstanceState>();
  readonly groups = new Map<string, GroupState>();
  readonly members = new Map<string, Set<string>>();
  /** Series identity (seriesKey) → fingerprint. */
  readonly bySeries = new Map<string, string>();
  /** Record keys whose last written value was not null: only those need a tombstone. */
  readonly persisted = new Set<string>();
  /** Per model and version: the newest window end evaluated (replays of older ones are skipped). */
  readonly evaluated = new Map<string, number>();
  /**
   * Per model and version: the newest window end whose settled delayed quality was evaluated.
   * Apart from `evaluated`: those points come `labels.settleAfter` behind the live windows.
   */
  readonly delayedEvaluated = new Map<string, number>();
  /** Per model and version (same keys): its first window's start and newest window's length. */
  readonly versionStarts = new Map<string, { first: number; last: number; windowMs: number }>();
  /** Versions superseded or retired at the clock (derived, not persisted). */
  superseded = new Map<string, Supersession>();
  readonly stale = new Map<string, StaleCursor>();
  /** Per retrain receiver and model: event time of the last request (cooldown). */
  readonly cooldowns = new Map<string, number>();
  readonly dirty = new Set<string>();
  /** Event time each persisted record was last written at (see refreshOld). */
  readonly writtenAt = new Map<string, number>();
  clock = -Infinity;
  /** Set by a reload or a restore: alerts whose rule is gone may exist. */
  orphansPossible = false;

  takeChanges(): StateRecord[] {
    const out: StateRecord[] = [];
    for (const key of this.dirty) {
      const value = this.recordValue(key);
      if (value === null) {
        this.writtenAt.delete(key);
        if (!this.persisted.delete(key)) continue;
      } else {
        this.persisted.add(key);
        this.writtenAt.set(key, this.clock);
      }
      out.push({ key, value });
    }
    this.dirty.clear();
    return out;
  }

  private recordValue(key: string): unknown {
    const [kind, id = ''] = [key.slice(0, 1), key.slice(2)];
    if (kind === 'i') return this.instances.get(id) ?? null;
    if (kind === 'g') return this.groups.get(id) ?? null;
    if (kind === 'e') {
      const upTo = this.evaluated.get(id);
      return upTo === undefined ? null : { upTo, ...this.versionStarts.get(id) };
    }
    if (kind === 'd') {
      const upTo = this.delayedEvaluated.get(id);
      return upTo === undefined ? null : { upTo };
    }
    if (kind === 's') return this.stale.get(id) ?? null;
    if (kind === 'r') return this.cooldowns.has(id) ? { at: this.cooldowns.get(id) } : null;
    if (kind === 't') return { clock: this.clock };
    return null;
  }

  restore(key: string, value: unknown): void {
    const [kind, id = ''] = [key.slice(0, 1), key.slice(2)];
    this.orphansPossible = true;
    if (value === null) {
      this.persisted.delete(key);
      this.writtenAt.delete(key);
      if (kind === 'i') this.dropInstance(id);
      else if (kind === 'g') this.groups.delete(id);
      else if (kind === 'e') this.forgetVersion(id);
      else if (kind === 'd') this.delayedEvaluated.delete(id);
      else if (kind === 's') this.stale.delete(id);
      else if (kind === 'r') this.cooldowns.delete(id);
      return;
    }
    this.persisted.add(key);
    // Written again once after a restore: the log may be close to dropping it.
    this.writtenAt.set(key, -Infinity);
    const v = value as Record<string, unknown>;
    if (kind === 'i') {
      this.dropInstance(id);
      this.addInstance(value as InstanceState);
    } else if (kind === 'g') this.groups.set(id, value as GroupState);
    else if (kind === 'e') {
      const upTo = Number(v.upTo);
      this.evaluated.set(id, upTo);
      // Records of older versions lack the start: the newest window is the best known.
      this.versionStarts.set(id, {
        first: typeof v.first === 'number' ? v.first : upTo,
        last: typeof v.last === 'number' ? v.last : upTo,
        windowMs: typeof v.windowMs === 'number' ? v.windowMs : 0,
      });
    } else if (kind === 'd') this.delayedEvaluated.set(id, Number(v.upTo));
    else if (kind === 's') this.stale.set(id, value as StaleCursor);
    else if (kind === 'r') this.cooldowns.set(id, Number(v.at));
    else if (kind === 't') this.clock = Math.max(this.clock, Number(v.clock));
  }

  /** A window of a model version evaluated: its cursor moves and its span grows. */
  noteEvaluated(modelKey: string, windowStart: number, windowEnd: number): void {
    this.evaluated.set(modelKey, windowEnd);
    const known = this.versionStarts.get(modelKey);
    const windowMs = windowEnd - windowStart;
    if (!known) {
      this.versionStarts.set(modelKey, { first: windowStart, last: windowEnd, windowMs });
    } else if (known.windowMs === 0 || windowMs <= known.windowMs) {
      // Only the smallest windows say the version is served: a stopped version's larger
      // windows still close after its last event.
      known.last = windowEnd;
      known.windowMs = windowMs;
    }
    this.dirty.add(`e/${modelKey}`);
  }

  /** A window's settled delayed quality evaluated. */
  noteDelayedEvaluated(modelKey: string, windowEnd: number): void {
    this.delayedEvaluated.set(modelKey, windowEnd);
    this.dirty.add(`d/${modelKey}`);
  }

  forgetVersion(modelKey: string): void {
    this.evaluated.delete(modelKey);
    this.versionStarts.delete(modelKey);
  }

  /** Every model version's span, for supersession. */
  *versionSpans(): Generator<VersionSpan> {
    for (const [key, last] of this.evaluated) {
      const [model = '', version = ''] = key.split(SEP);
      const start = this.versionStarts.get(key);
      yield {
        model,
        version,
        first: start?.first ?? last,
        last: start?.last ?? last,
        windowMs: start?.windowMs ?? 0,
      };
    }
  }

  /** Records unchanged this long (event time) are written again: the log has a retention. */
  refreshOld(afterMs: number | undefined): void {
    if (afterMs === undefined) return;
    for (const [key, at] of this.writtenAt) if (this.clock - at >= afterMs) this.dirty.add(key);
  }

  instanceBySeries(identity: string): InstanceState | undefined {
    const fp = this.bySeries.get(identity);
    return fp === undefined ? undefined : this.instances.get(fp);
  }

  addInstance(st: InstanceState): void {
    this.instances.set(st.fingerprint, st);
    this.bySeries.set(seriesKey(st.rule, st), st.fingerprint);
    this.memberSet(st.groupKey).add(st.fingerprint);
  }

  dropInstance(id: string): void {
    const st = this.instances.get(id);
    if (!st) return;
    this.instances.delete(id);
    this.bySeries.delete(seriesKey(st.rule, st));
    this.members.get(st.groupKey)?.delete(id);
  }

  memberSet(groupKey: string): Set<string> {
    let set = this.members.get(groupKey);
    if (!set) this.members.set(groupKey, (set = new Set()));
    return set;
  }

  /** Creates the group an instance belongs to, unless it exists. */
  ensureGroup(rule: AlertRule, st: InstanceState): void {
    if (!this.groups.has(st.groupKey)) {
      const labels = labelsOf(st);
      const picked: Record<string, string> = {};
      for (const l of rule.groupBy) picked[l] = labels[l] ?? '';
      this.groups.set(st.groupKey, newGroup(rule, picked, st.groupKey));
      this.dirty.add(`g/${st.groupKey}`);
    }
  }

  /** Marks an instance changed; forgets it once there is nothing left to remember. */
  touch(st: InstanceState): void {
    this.dirty.add(`i/${st.fingerprint}`);
    if (isForgettable(st)) this.dropInstance(st.fingerprint);
  }

  /** In fingerprint order: the same output whatever order the state was built in. */
  sortedInstances(): InstanceState[] {
    return [...this.instances.values()].sort((a, b) =>
      a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0,
    );
  }

  /** Instances per rule, severity and state, for gauges. */
  countByState(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const st of this.instances.values()) {
      const key = `${st.rule}${SEP}${st.severity}${SEP}${st.state}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }
}
