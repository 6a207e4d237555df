import { AlertEngine, type EngineOptions } from '../../alert-engine/engine.js';
import type {
  AlertTransition,
  DriftObservation,
  NotificationKind,
  Severity,
} from '../../alert-engine/model.js';
import type { AlertRule, ReceiverPolicy } from '../../alert-engine/rule.js';
import { SilenceSet, type Silence } from '../../alert-engine/silence.js';
import type { InhibitRule } from '../../alert-engine/inhibition.js';
import type { VersionPolicy } from '../../alert-engine/versions.js';

/**
 * `driftwatch rules backtest`: the drift series of a time range, read back from InfluxDB, run
 * through a fresh alert engine window by window, as the daemon would have run them live. The
 * engine is deterministic, so the same rules over the same points give the same alerts and
 * notification ids.
 */

// Reading (InfluxDB) and printing live in their own modules; re-exported for existing users.
export {
  driftQuery,
  modelPrefixRegExp,
  observationFromRow,
  readDriftObservations,
  type DriftRange,
  type DriftRow,
  type DriftSource,
} from './backtest-source.js';
export { backtestJson, formatBacktest } from './backtest-report.js';

export interface BacktestRules {
  rules: readonly AlertRule[];
  policies: readonly ReceiverPolicy[];
  /** The rules file's inhibit rules (none when absent). */
  inhibitions?: readonly InhibitRule[];
  /** The rules file's versions: section (the defaults when absent). */
  versions?: VersionPolicy;
}

/** An engine transition as the timeline shows it: without the instance's own bookkeeping. */
export interface BacktestTransition extends Omit<
  AlertTransition,
  'fingerprint' | 'seq' | 'samples'
> {
  type: 'transition';
  op: string;
}

export interface BacktestNotification {
  type: 'notification';
  time: number;
  id: string;
  kind: NotificationKind;
  rule: string;
  severity: Severity;
  receivers: string[];
  alerts: number;
  groupLabels: Record<string, string>;
}

export type BacktestEvent = BacktestTransition | BacktestNotification;

export interface RuleCounts {
  rule: string;
  /** Episodes that started firing (a return from recovering is the same episode). */
  episodes: number;
  notifications: Record<Exclude<NotificationKind, 'retrain'>, number>;
  retrainRequests: number;
}

export interface BacktestResult {
  /** Windows (distinct window ends) replayed, and the points in them. */
  windows: number;
  observations: number;
  /** Distinct model@version pairs seen. */
  models: number;
  firstWindowEnd: number | null;
  lastWindowEnd: number | null;
  /** Transitions to firing or resolved, and every notification, in event-time order. */
  events: BacktestEvent[];
  /** One entry per rule of the file (in its order), then any `<rule>:stale` that occurred. */
  rules: RuleCounts[];
}

const STALE_SUFFIX = ':stale';

function emptyCounts(rule: string): RuleCounts {
  return {
    rule,
    episodes: 0,
    notifications: { firing: 0, update: 0, repeat: 0, resolved: 0 },
    retrainRequests: 0,
  };
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Replays observations into a fresh engine: grouped by window end, in time order, each group
 * evaluated and then the clock advanced to its end (the daemon's watermark tick).
 */
export function backtest(
  observations: Iterable<DriftObservation>,
  rules: BacktestRules,
  options: Pick<EngineOptions, 'dashboardUrl' | 'runbookBaseUrl'> & {
    /** Silences, each holding within its own time range as in the daemon. */
    silences?: readonly Silence[];
  } = {},
): BacktestResult {
  const engine = new AlertEngine(rules.rules, rules.policies, options, rules);
  engine.setSilences(new SilenceSet(options.silences ?? []));
  const byEnd = new Map<number, DriftObservation[]>();
  const models = new Set<string>();
  let count = 0;
  for (const o of observations) {
    count++;
    models.add(`${o.model}\u0000${o.modelVersion}`);
    let list = byEnd.get(o.windowEnd);
    if (!list) byEnd.set(o.windowEnd, (list = []));
    list.push(o);
  }
  const ends = [...byEnd.keys()].sort((a, b) => a - b);
  const opOf = new Map(rules.rules.map((r) => [r.name, r.op]));
  const counts = new Map(rules.rules.map((r) => [r.name, emptyCounts(r.name)]));
  const countsOf = (rule: string) => {
    let c = counts.get(rule);
    if (!c) counts.set(rule, (c = emptyCounts(rule)));
    return c;
  };
  const events: BacktestEvent[] = [];
  for (const end of ends) {
    // A stable order within the window, so the timeline does not depend on the query's order.
    const points = (byEnd.get(end) ?? []).sort(
      (a, b) =>
        compareText(a.model, b.model) ||
        compareText(a.modelVersion, b.modelVersion) ||
        compareText(a.feature, b.feature) ||
        compareText(a.method, b.method) ||
        compareText(a.window, b.window),
    );
    const evaluated = engine.evaluate(points);
    const ticked = engine.tick(end);
    engine.takeChanges(); // nothing persists them; keeps the engine's change set small
    for (const t of [...evaluated.transitions, ...ticked.transitions]) {
      if (t.to !== 'firing' && t.to !== 'resolved') continue;
      if (t.to === 'firing' && t.from !== 'recovering') countsOf(t.rule).episodes++;
      const base = t.rule.endsWith(STALE_SUFFIX) ? t.rule.slice(0, -STALE_SUFFIX.length) : t.rule;
      events.push({
        type: 'transition',
        time: t.time,
        rule: t.rule,
        severity: t.severity,
        from: t.from,
        to: t.to,
        episodeId: t.episodeId,
        model: t.model,
        modelVersion: t.modelVersion,
        feature: t.feature,
        method: t.method,
        window: t.window,
        value: t.value,
        op: base === t.rule ? (opOf.get(t.rule) ?? '?') : '>=',
        threshold: t.threshold,
        reason: t.reason,
      });
    }
    for (const n of [...evaluated.notifications, ...ticked.notifications]) {
      const rule = n.groupLabels.rule ?? '?';
      const c = countsOf(rule);
      if (n.kind === 'retrain') c.retrainRequests++;
      else c.notifications[n.kind]++;
      events.push({
        type: 'notification',
        time: n.time,
        id: n.id,
        kind: n.kind,
        rule,
        severity: n.severity,
        receivers: n.receivers,
        alerts: n.alerts.length,
        groupLabels: n.groupLabels,
      });
    }
  }
  return {
    windows: ends.length,
    observations: count,
    models: models.size,
    firstWindowEnd: ends[0] ?? null,
    lastWindowEnd: ends[ends.length - 1] ?? null,
    events,
    rules: [...counts.values()],
  };
}
