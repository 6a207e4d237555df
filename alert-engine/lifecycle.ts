/**
 * How alert instances end (or start) outside their rule's own evaluation: staleness of a
 * model's windows (`<rule>:stale`), series that are gone, and rules that left the rules file.
 * Functions over the EngineStore and the rules in force; AlertEngine calls them as the clock
 * advances.
 */
import { groupKeyOf } from './groups.js';
import {
  newInstance,
  stepInstance,
  transitionOf,
  type InstanceState,
  type SeriesIdentity,
} from './instance.js';
import { isDelayedQuality, type AlertTransition, type DriftObservation } from './model.js';
import { ruleFromSettings, type AlertRule } from './rule.js';
import { SEP, labelsOf, seriesKey, type EngineStore } from './engine-store.js';
import { baseRuleName, staleRuleOf, STALE_SUFFIX } from './stale.js';
import { supersededVersions, type VersionPolicy } from './versions.js';

const DEFAULT_FORGET_AFTER_MS = 7 * 86_400_000;

/** What the lifecycle functions work on: the engine's state and the rules in force. */
export interface LifecycleContext {
  store: EngineStore;
  rules: ReadonlyMap<string, AlertRule>;
  /** EngineOptions.groupScope. */
  groupScope: string | undefined;
}

/** Where the lifecycle functions put their transitions. */
export interface TransitionSink {
  transitions: AlertTransition[];
}

/** Moves the staleness cursor of a rule's model window (a window sufficient or not). */
export function noteSufficiency(
  store: EngineStore,
  rule: AlertRule,
  o: DriftObservation,
  enough: boolean,
): void {
  const key = [rule.name, o.model, o.modelVersion, o.window].join(SEP);
  const cursor = store.stale.get(key);
  if (!cursor) {
    store.stale.set(key, {
      rule: rule.name,
      model: o.model,
      modelVersion: o.modelVersion,
      window: o.window,
      lastSufficientEnd: enough ? o.windowEnd : o.windowStart,
    });
    store.dirty.add(`s/${key}`);
  } else if (enough && o.windowEnd > cursor.lastSufficientEnd) {
    cursor.lastSufficientEnd = o.windowEnd;
    store.dirty.add(`s/${key}`);
  }
}

/**
 * Ends an instance's life from outside its rule (rule removed, series gone): a firing alert
 * resolves with the reason, and its resolution is notified if it was told of.
 */
export function forceResolve(
  store: EngineStore,
  st: InstanceState,
  rule: AlertRule,
  reason: string,
  out: TransitionSink,
): void {
  const active = st.state === 'firing' || st.state === 'recovering' || st.state === 'pending';
  if (active) {
    st.seq++;
    st.endsAt = store.clock;
    st.stateReason = reason;
    const to = st.state === 'pending' ? 'inactive' : 'resolved';
    out.transitions.push(transitionOf(st, rule, st.state, to, store.clock));
  }
  // Held firing while flapping counts as told: its resolution is still owed.
  const told = st.notified === 'firing' && st.state !== 'pending';
  st.resolvedPending = st.resolvedPending || (told && (active || st.flapping));
  st.state = 'inactive';
  st.breaches = 0;
  st.flapping = false;
  st.episodeStarts = [];
  if (st.resolvedPending && !store.groups.has(st.groupKey)) st.resolvedPending = false;
  store.touch(st);
}

/**
 * Series without any window for forgetAfterMs (a model version replaced, a feature dropped):
 * their alerts resolve ("series gone") and their cursors are forgotten, so nothing fires
 * forever and memory stays bounded.
 */
export function forgetGone(
  ctx: LifecycleContext,
  forgetAfterMs: number | undefined,
  out: TransitionSink,
  delayedQualityAfterMs = 0,
): void {
  const { store } = ctx;
  const limit = store.clock - (forgetAfterMs ?? DEFAULT_FORGET_AFTER_MS);
  // Settled delayed quality reaches the rules this long after its window ended.
  const delayedLimit = limit - delayedQualityAfterMs;
  // A version's span is kept as long as its settled delayed quality may come: forgotten, a
  // superseded version would no longer be known as one, and its delayed windows would alert.
  for (const [key, upTo] of store.evaluated) {
    if (upTo >= delayedLimit) continue;
    store.forgetVersion(key);
    store.dirty.add(`e/${key}`);
  }
  for (const [key, upTo] of store.delayedEvaluated) {
    if (upTo >= delayedLimit) continue;
    store.delayedEvaluated.delete(key);
    store.dirty.add(`d/${key}`);
  }
  for (const key of [...store.stale.keys()].sort()) {
    const cursor = store.stale.get(key);
    if (!cursor || cursor.lastSufficientEnd >= limit) continue;
    store.stale.delete(key);
    store.dirty.add(`s/${key}`);
    const name = `${cursor.rule}${STALE_SUFFIX}`;
    const st = store.instanceBySeries(seriesKey(name, { ...cursor, feature: '*', method: '*' }));
    const rule = ruleFor(ctx, name, st?.groupKey);
    if (st && rule) forceResolve(store, st, rule, 'series gone: no window for a long time', out);
  }
  for (const st of store.sortedInstances()) {
    if (st.rule.endsWith(STALE_SUFFIX)) continue;
    if (st.windowEnd >= (isDelayedQuality(st.method) ? delayedLimit : limit)) continue;
    const rule = ruleFor(ctx, st.rule, st.groupKey);
    if (rule) forceResolve(store, st, rule, 'series gone: no window for a long time', out);
    else store.dropInstance(st.fingerprint);
  }
}

/**
 * Versions superseded by a newer one or retired: their active alerts (stale ones too) resolve
 * with the reason, told once per group unless the policy says not to, and their staleness
 * cursors go (a superseded version never raises `stale`). Recomputed at every clock step;
 * acting only on versions newly superseded keeps it cheap and idempotent after a restore.
 */
export function supersedeVersions(
  ctx: LifecycleContext,
  policy: VersionPolicy,
  out: TransitionSink,
): void {
  const { store } = ctx;
  const now = supersededVersions(store.versionSpans(), policy, SEP);
  const fresh = [...now.keys()].filter((k) => !store.superseded.has(k));
  store.superseded = now;
  if (fresh.length === 0) return;
  const newly = new Set(fresh);
  for (const key of [...store.stale.keys()].sort()) {
    const cursor = store.stale.get(key);
    if (!cursor || !newly.has(`${cursor.model}${SEP}${cursor.modelVersion}`)) continue;
    store.stale.delete(key);
    store.dirty.add(`s/${key}`);
  }
  for (const st of store.sortedInstances()) {
    const why = newly.has(`${st.model}${SEP}${st.modelVersion}`)
      ? now.get(`${st.model}${SEP}${st.modelVersion}`)
      : undefined;
    if (!why || st.state === 'inactive') continue;
    const rule = ruleFor(ctx, st.rule, st.groupKey);
    if (!rule) continue;
    forceResolve(store, st, rule, why.reason, out);
    if (!policy.notify) {
      st.resolvedPending = false;
      store.touch(st);
    }
  }
}

/** `<rule>:stale`: no sufficient window of the model for stale_after (event time). */
export function checkStale(ctx: LifecycleContext, out: TransitionSink): void {
  const { store } = ctx;
  for (const key of [...store.stale.keys()].sort()) {
    const cursor = store.stale.get(key);
    if (!cursor) continue;
    const rule = ctx.rules.get(cursor.rule);
    if (!rule || rule.staleAfterMs === undefined) {
      // Its stale alert, if any, is an orphan now (resolveOrphans ends it).
      store.stale.delete(key);
      store.dirty.add(`s/${key}`);
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
    const ageSeconds = (store.clock - cursor.lastSufficientEnd) / 1000;
    let st = store.instanceBySeries(seriesKey(staleRule.name, series));
    if (!st) {
      if (ageSeconds < staleRule.threshold) continue;
      st = newInstance(staleRule, series, groupKeyOf(staleRule, labelsOf(series), ctx.groupScope));
      store.addInstance(st);
    }
    if (st.windowEnd === store.clock && st.windowStart === cursor.lastSufficientEnd) continue;
    out.transitions.push(
      ...stepInstance(staleRule, st, {
        value: ageSeconds,
        samples: 0,
        baseline: st.baseline,
        windowStart: cursor.lastSufficientEnd,
        windowEnd: store.clock,
      }),
    );
    st.stateReason =
      st.state === 'inactive'
        ? null
        : `no window with at least ${rule.minSamples} samples since ${new Date(cursor.lastSufficientEnd).toISOString()}`;
    store.ensureGroup(staleRule, st);
    store.touch(st);
  }
}

/**
 * Alerts whose rule (or its stale_after) left the rules file — by a reload, or while the
 * daemon was down: resolved with that reason through the settings their group remembers.
 */
export function resolveOrphans(ctx: LifecycleContext, out: TransitionSink): void {
  const { store } = ctx;
  if (!store.orphansPossible) return;
  store.orphansPossible = false;
  for (const st of store.sortedInstances()) {
    if (liveRule(ctx.rules, st.rule)) continue;
    const rule = ruleFor(ctx, st.rule, st.groupKey);
    if (rule) forceResolve(store, st, rule, 'rule removed from the rules file', out);
    else store.dropInstance(st.fingerprint);
  }
}

/** The rule in force for an alert name (`r` or `r:stale`), if any. */
export function liveRule(
  rules: ReadonlyMap<string, AlertRule>,
  name: string,
): AlertRule | undefined {
  const base = baseRuleName(name);
  const rule = rules.get(base);
  if (!rule || base === name) return rule;
  return rule.staleAfterMs === undefined ? undefined : staleRuleOf(rule, rule.staleAfterMs);
}

/** The live rule, else the one the alert's group remembers (to finish its episode). */
export function ruleFor(
  ctx: LifecycleContext,
  name: string,
  groupKey?: string,
): AlertRule | undefined {
  const live = liveRule(ctx.rules, name);
  if (live) return live;
  const group = groupKey === undefined ? undefined : ctx.store.groups.get(groupKey);
  return group ? ruleFromSettings(group.settings) : undefined;
}
