/**
 * The notification a group decision is told as: its receivers, its alerts (the most important
 * first, at most MAX_ALERTS_PER_NOTIFICATION) and a stable id.
 */
import type { GroupDecision, GroupState } from './groups.js';
import { stableId } from './ids.js';
import { severityRank, type AlertNotification } from './model.js';
import type { AlertRule, ReceiverPolicy } from './rule.js';
import { snapshotOf, linksFor } from './snapshot.js';

/** Alerts listed in one notification at most; the rest are counted (`truncatedAlerts`). */
export const MAX_ALERTS_PER_NOTIFICATION = 100;

export function notificationOf(
  group: GroupState,
  rule: AlertRule,
  decision: GroupDecision,
  policies: ReadonlyMap<string, ReceiverPolicy>,
  time: number,
  dashboardUrl: string | undefined,
): AlertNotification | undefined {
  const { kind, episodeId, seq, members: told } = decision;
  const receivers = rule.receivers.filter((name) => {
    const policy = policies.get(name);
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
    time,
    alerts,
    truncatedAlerts: told.length - alerts.length,
    links: linksFor(alerts, dashboardUrl),
  };
}
