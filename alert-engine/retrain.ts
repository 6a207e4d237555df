import type { GroupState } from './groups.js';
import { stableId } from './ids.js';
import type { InstanceState } from './instance.js';
import { severityRank, type AlertNotification, type AlertSnapshot } from './model.js';
import type { AlertRule, ReceiverPolicy } from './rule.js';

/**
 * Retraining requests for a firing group, through the gate of each retrain receiver of the
 * rule: at most one per model version and group episode, only at or above the severity, with
 * enough drifted features, after firing long enough, and outside the model's cooldown.
 * Mutates the group (what was requested) and the cooldowns.
 */
export function planRetraining(
  group: GroupState,
  members: readonly InstanceState[],
  rule: AlertRule,
  receivers: ReadonlyMap<string, ReceiverPolicy>,
  cooldowns: Map<string, number>,
  clock: number,
  snapshot: (m: InstanceState) => AlertSnapshot,
): { notification: AlertNotification; touchedCooldowns: string[] }[] {
  const episodeId = group.episodeId;
  // Only once on-call has been told (group_wait passed), and never for a monitor-stale alert.
  if (episodeId === null || group.firstAt === null || group.lastNotifiedAt === null) return [];
  if (group.rule.endsWith(':stale')) return [];
  const gates = rule.receivers
    .map((name) => receivers.get(name))
    .filter((p): p is ReceiverPolicy & { gate: NonNullable<ReceiverPolicy['gate']> } =>
      Boolean(p?.type === 'retrain' && p.gate),
    );
  if (gates.length === 0) return [];
  const firing = members.filter(
    (m) => (m.state === 'firing' || m.state === 'recovering') && !m.flapping,
  );
  const byModel = new Map<string, InstanceState[]>();
  for (const m of firing) {
    const key = `${m.model}\u0000${m.modelVersion}`;
    byModel.set(key, [...(byModel.get(key) ?? []), m]);
  }
  const out: { notification: AlertNotification; touchedCooldowns: string[] }[] = [];
  for (const [modelKey, alerts] of byModel) {
    for (const policy of gates) {
      const requestedKey = `${policy.name}\u0000${modelKey}`;
      if (group.retrained.includes(requestedKey)) continue;
      const { gate } = policy;
      const top = alerts.reduce((a, b) =>
        severityRank(b.severity) > severityRank(a.severity) ? b : a,
      );
      const features = new Set(alerts.map((a) => a.feature));
      const cooldownKey = `${policy.name}\u0000${top.model}`;
      const last = cooldowns.get(cooldownKey);
      if (
        severityRank(top.severity) < severityRank(gate.minSeverity) ||
        features.size < gate.minDriftedFeatures ||
        clock - group.firstAt < gate.minFiringForMs ||
        (last !== undefined && clock - last < gate.cooldownMs)
      ) {
        continue;
      }
      group.retrained.push(requestedKey);
      cooldowns.set(cooldownKey, clock);
      const latest = alerts.reduce((a, b) => (b.windowEnd > a.windowEnd ? b : a));
      const requestId = stableId('retrain', policy.name, top.model, top.modelVersion, episodeId);
      const snaps = alerts.map(snapshot);
      out.push({
        touchedCooldowns: [cooldownKey],
        notification: {
          id: requestId,
          kind: 'retrain',
          receivers: [policy.name],
          groupKey: group.groupKey,
          groupLabels: { rule: group.rule, ...group.labels },
          groupEpisodeId: episodeId,
          groupSeq: group.seq,
          severity: top.severity,
          status: 'firing',
          time: clock,
          alerts: snaps,
          truncatedAlerts: 0,
          links: {
            dashboard: null,
            runbook: snaps.find((s) => s.annotations.runbook_url)?.annotations.runbook_url ?? null,
          },
          retrain: {
            requestId,
            model: top.model,
            modelVersion: top.modelVersion,
            baseline: latest.baseline,
            windowStart: latest.windowStart,
            windowEnd: latest.windowEnd,
            severity: top.severity,
            episodeId,
            firingSince: group.firstAt,
            driftedFeatures: snaps.map((a) => ({
              feature: a.feature,
              method: a.method,
              statistic: a.statistic,
              value: a.value,
              threshold: a.threshold,
              samples: a.samples,
            })),
          },
        },
      });
    }
  }
  return out;
}
