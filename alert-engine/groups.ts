import type { InstanceState } from './instance.js';
import { severityRank, type AlertState, type NotificationKind, type Severity } from './model.js';
import { stableId } from './ids.js';
import { settingsOf, type AlertRule, type RuleSettings } from './rule.js';

/** One notification group (rule × group_by values): what it last told its receivers, and when. */
export interface GroupState {
  groupKey: string;
  rule: string;
  labels: Record<string, string>;
  episodeId: string | null;
  /** Notifications sent in this episode. */
  seq: number;
  /** Event time the episode's first alert fired (group_wait runs from here). */
  firstAt: number | null;
  lastNotifiedAt: number | null;
  notifiedSeverity: Severity | null;
  /** `model\0version` pairs a retraining request was made for in this episode. */
  retrained: string[];
  /** The rule as of the group's last evaluation (it may have left the rules file since). */
  settings: RuleSettings;
}

/**
 * The group's identity, from which its notification ids derive. `scope` sets apart engines
 * that each see only some models (one per alert-log partition): a rule grouping without
 * `model` would otherwise form the same group, and the same notification ids, in each of them.
 * Groups by model never span engines, so they keep the key a single engine gives them.
 */
export function groupKeyOf(
  rule: AlertRule,
  labels: Record<string, string>,
  scope?: string,
): string {
  const parts = rule.groupBy.flatMap((l) => [l, labels[l] ?? '']);
  if (scope !== undefined && !rule.groupBy.includes('model')) parts.push('scope', scope);
  return stableId('group', rule.name, ...parts);
}

export function newGroup(
  rule: AlertRule,
  labels: Record<string, string>,
  groupKey: string,
): GroupState {
  return {
    groupKey,
    rule: rule.name,
    labels,
    episodeId: null,
    seq: 0,
    firstAt: null,
    lastNotifiedAt: null,
    notifiedSeverity: null,
    retrained: [],
    settings: settingsOf(rule),
  };
}

const isFiring = (m: InstanceState) => m.state === 'firing' || m.state === 'recovering';

/** A change receivers have not heard of (flapping instances are held until they settle). */
function unnotified(m: InstanceState): boolean {
  if (m.flapping !== m.notifiedFlapping) return true;
  if (m.flapping) return false;
  // Out of a silence and still firing: told once, whatever receivers heard before it.
  if (isFiring(m) && m.silencedBy) return true;
  if (isFiring(m)) return m.notified !== 'firing' || m.notifiedSeverity !== m.severity;
  return m.resolvedPending;
}

export function groupSeverity(members: readonly InstanceState[]): Severity | null {
  let best: Severity | null = null;
  for (const m of members) {
    if (!isFiring(m) && !(m.flapping && m.notified === 'firing')) continue;
    if (best === null || severityRank(m.severity) > severityRank(best)) best = m.severity;
  }
  return best;
}

export interface GroupDecision {
  kind: Exclude<NotificationKind, 'retrain'>;
  /** The group episode, counter and severity the notification reports (taken before a
   * resolve ends the episode, so "resolved" carries the episode of its "firing"). */
  episodeId: string;
  seq: number;
  severity: Severity | null;
  /** Each member as it is reported (taken before the notification bookkeeping changes). */
  members: { st: InstanceState; status: 'firing' | 'resolved'; state: AlertState }[];
}

/**
 * Whether the group notifies now: the first firing after group_wait, changes (new alerts,
 * resolutions, severity) after group_interval — at once when the severity rises — and a repeat
 * every repeat_interval while nothing changed. An alert that resolved before anyone was told
 * is dropped silently (no "resolved" for a "firing" never sent). While a silence holds a member
 * receivers were told is firing, the episode stays open ("update", not "resolved"): that
 * member's resolution is told after the silence. Mutates the states it notifies.
 */
export function decideGroup(
  group: GroupState,
  members: InstanceState[],
  rule: AlertRule,
  clock: number,
  hold: { heldAsFiring: boolean } = { heldAsFiring: false },
): GroupDecision | undefined {
  const firing = members.filter((m) => isFiring(m) || (m.flapping && m.notified === 'firing'));
  if (group.episodeId === null) {
    if (firing.length === 0) {
      for (const m of members) m.resolvedPending = false;
      return undefined;
    }
    group.episodeId = stableId('group-episode', group.groupKey, clock);
    group.firstAt = clock;
    group.seq = 0;
    group.retrained = [];
  }
  const severity = groupSeverity(members);
  let kind: GroupDecision['kind'] | undefined;
  if (group.lastNotifiedAt === null) {
    if (firing.length === 0) {
      endEpisode(group, members);
      return undefined;
    }
    if (clock - (group.firstAt ?? clock) >= rule.groupWaitMs) kind = 'firing';
  } else {
    const changed = members.some(unnotified);
    const since = clock - group.lastNotifiedAt;
    const escalated =
      severity !== null &&
      group.notifiedSeverity !== null &&
      severityRank(severity) > severityRank(group.notifiedSeverity);
    if (changed && (since >= rule.groupIntervalMs || escalated)) {
      kind = firing.length === 0 && !hold.heldAsFiring ? 'resolved' : 'update';
    } else if (
      !changed &&
      firing.length > 0 &&
      rule.repeatIntervalMs > 0 &&
      since >= rule.repeatIntervalMs
    ) {
      kind = 'repeat';
    }
  }
  if (kind === undefined) return undefined;
  const episodeId = group.episodeId;
  // Pending alerts were never firing: not reported (unless their resolution still is).
  const reported = members.filter((st) => st.state !== 'pending' || st.resolvedPending);
  const told = reported.map((st) => {
    const firingNow = isFiring(st) || (st.flapping && st.notified === 'firing');
    return {
      st,
      status: firingNow ? ('firing' as const) : ('resolved' as const),
      state: st.state === 'inactive' ? ('resolved' as const) : st.state,
    };
  });
  group.seq++;
  group.lastNotifiedAt = clock;
  group.notifiedSeverity = severity ?? group.notifiedSeverity;
  for (const m of members) {
    m.notified = isFiring(m) || m.flapping ? 'firing' : 'none';
    m.notifiedSeverity = m.severity;
    m.notifiedFlapping = m.flapping;
    if (!m.flapping) m.resolvedPending = false;
  }
  const decision = {
    kind,
    episodeId,
    seq: group.seq,
    severity: group.notifiedSeverity,
    members: told,
  };
  if (kind === 'resolved') endEpisode(group, members);
  return decision;
}

function endEpisode(group: GroupState, members: InstanceState[]): void {
  for (const m of members) m.resolvedPending = false;
  group.episodeId = null;
  group.firstAt = null;
  group.lastNotifiedAt = null;
  group.notifiedSeverity = null;
  group.seq = 0;
  group.retrained = [];
}
