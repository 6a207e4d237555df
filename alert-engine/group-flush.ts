import { decideGroup } from './groups.js';
import type { InstanceState } from './instance.js';
import { inhibitedNow, type InhibitRule } from './inhibition.js';
import { liveRule } from './lifecycle.js';
import { notificationOf } from './notification.js';
import { planRetraining } from './retrain.js';
import { ruleFromSettings, settingsOf, type AlertRule, type ReceiverPolicy } from './rule.js';
import {
  forgetSilenceWhenQuiet,
  heldAsFiring,
  holdSilenced,
  releaseSilenced,
  type SilencedAlert,
} from './silence-hold.js';
import type { SilenceSet } from './silence.js';
import { snapshotOf } from './snapshot.js';
import type { EngineStore } from './engine-store.js';
import type { AlertNotification } from './model.js';

/** What a group decision reads: the engine's state and what is in force. */
export interface FlushContext {
  store: EngineStore;
  rules: ReadonlyMap<string, AlertRule>;
  inhibitions: readonly InhibitRule[];
  silences: SilenceSet;
  receivers: ReadonlyMap<string, ReceiverPolicy>;
  /** EngineOptions.dashboardUrl. */
  dashboardUrl: string | undefined;
}

/**
 * Every group decides at the engine's clock: whom to notify (inhibited and silenced members
 * left out), which retraining requests to send, and which groups are over.
 */
export function flushGroups(
  ctx: FlushContext,
  out: { notifications: AlertNotification[]; silenced: SilencedAlert[] },
): void {
  const { store, rules, receivers } = ctx;
  const inhibited = inhibitedNow(store, rules, ctx.inhibitions);
  // In key order, members in label order: the same output live, after a restore and in a
  // backtest, whatever order the state was built in.
  for (const groupKey of [...store.groups.keys()].sort()) {
    const group = store.groups.get(groupKey);
    if (!group) continue;
    const live = liveRule(rules, group.rule);
    const rule = live ?? ruleFromSettings(group.settings);
    const ids = store.members.get(groupKey) ?? new Set<string>();
    const all = [...ids]
      .map((id) => store.instances.get(id))
      .filter((st): st is InstanceState => st !== undefined);
    for (const st of all) if (forgetSilenceWhenQuiet(st)) store.touch(st);
    const members = all
      .filter((st) => st.state !== 'inactive' || st.resolvedPending || st.flapping)
      .sort(byLabels);
    const before = JSON.stringify(group);
    if (live) group.settings = settingsOf(live);
    // Inhibited and silenced members change state as ever; the group decides without them.
    const uninhibited =
      inhibited.size === 0 ? members : members.filter((m) => !inhibited.has(m.fingerprint));
    const told = holdSilenced(uninhibited, rule, ctx.silences, store.clock, out.silenced);
    const decision = decideGroup(group, told, rule, store.clock, {
      heldAsFiring: heldAsFiring(uninhibited, told),
    });
    if (decision) {
      const n = notificationOf(group, rule, decision, receivers, store.clock, ctx.dashboardUrl);
      if (n) out.notifications.push(n);
    }
    releaseSilenced(told, new Set(decision?.members.map((m) => m.st)));
    for (const m of members) store.touch(m);
    out.notifications.push(
      ...planRetraining(group, told, rule, receivers, store.cooldowns, store.clock, (m) =>
        snapshotOf(m, rule, 'firing', m.state),
      ).map((r) => {
        for (const key of r.touchedCooldowns) store.dirty.add(`r/${key}`);
        return r.notification;
      }),
    );
    if (group.episodeId === null && members.length === 0) {
      store.groups.delete(groupKey);
      // Quiet instances (inactive, still remembered for the flapping guard) keep their
      // membership: the group is re-created when one of them fires again.
      if (ids.size === 0) store.members.delete(groupKey);
      store.dirty.add(`g/${groupKey}`);
    } else if (JSON.stringify(group) !== before) store.dirty.add(`g/${groupKey}`);
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
