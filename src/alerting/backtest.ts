import { flux, InfluxDB } from '@influxdata/influxdb-client';
import { AlertEngine } from '../../alerts/engine.js';
import type {
  AlertTransition,
  DriftObservation,
  NotificationKind,
  Severity,
} from '../../alerts/model.js';
import { compileGlob, type AlertRule, type ReceiverPolicy } from '../../alerts/rule.js';
import { parseDuration } from '../config/duration.js';
import { SUMMARY_METHOD } from '../windows/evaluate.js';
import { finiteOrNull as num, summaryObservation, type ObservationBase } from './observation.js';

/**
 * `driftwatch rules backtest`: the drift series of a time range, read back from InfluxDB, run
 * through a fresh alert engine window by window, as the daemon would have run them live. The
 * engine is deterministic, so the same rules over the same points give the same alerts and
 * notification ids.
 */

/** One row of the drift measurement after the pivot: tag columns and one column per field. */
export type DriftRow = Readonly<Record<string, unknown>>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The observation a stored drift point stands for: the same as `toObservation` builds from the
 * live window point (fields absent from the point are null). Undefined when the row is not a
 * drift point (no identity tags, unreadable time or window tag).
 */
export function observationFromRow(row: DriftRow): DriftObservation | undefined {
  const model = str(row.model);
  const modelVersion = str(row.model_version);
  const feature = str(row.feature);
  const method = str(row.method);
  const window = str(row.window);
  const time = row._time;
  const windowEnd =
    typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : NaN;
  const length = window === undefined ? undefined : parseDuration(window);
  if (
    model === undefined ||
    modelVersion === undefined ||
    feature === undefined ||
    method === undefined ||
    window === undefined ||
    length === undefined ||
    !Number.isFinite(windowEnd)
  ) {
    return undefined;
  }
  const common: ObservationBase = {
    model,
    modelVersion,
    feature,
    window,
    baseline: str(row.baseline) ?? '',
    windowStart: windowEnd - length,
    windowEnd,
    n: num(row.n) ?? 0,
    missing: num(row.missing) ?? 0,
  };
  if (method === SUMMARY_METHOD) return summaryObservation(common, num(row.unseen));
  const pValue = num(row.p_value);
  return {
    ...common,
    method,
    status: str(row.status) ?? 'unavailable',
    statistic: num(row.statistic),
    pValue,
    // The daemon writes the adjusted p-value whenever there is a p-value (equal to it without a
    // correction); points written before that field existed fall back to the raw one.
    adjustedPValue: num(row.p_value_adjusted) ?? pValue,
    threshold: num(row.threshold),
    drifted: row.drifted === true,
    unseen: num(row.unseen),
  };
}

export interface BacktestRules {
  rules: readonly AlertRule[];
  policies: readonly ReceiverPolicy[];
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
  options: { dashboardUrl?: string | undefined } = {},
): BacktestResult {
  const engine = new AlertEngine(rules.rules, rules.policies, {
    dashboardUrl: options.dashboardUrl,
  });
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

// ---- reading the drift series ----

export interface DriftSource {
  url: string;
  token: string;
  org: string;
  bucket: string;
  measurement: string;
}

export interface DriftRange {
  /** Window ends from (inclusive) … to (inclusive), epoch ms. */
  from: number;
  to: number;
  /** Only models matching this glob (`*`, `?`). */
  model?: string | undefined;
}

/** A glob as an anchored regular expression (the same language as the rules' match). */
export function globRegExp(glob: string): RegExp {
  const source = glob
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/*?-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/** The Flux query of the drift points whose window ends lie in the range, one row per point. */
export function driftQuery(source: Pick<DriftSource, 'bucket' | 'measurement'>, range: DriftRange) {
  const start = new Date(range.from);
  // range() stops before `stop`: one millisecond past `to` keeps a window ending at `to`.
  const stop = new Date(range.to + 1);
  const byModel =
    range.model === undefined || range.model === '*'
      ? flux``
      : flux`
  |> filter(fn: (r) => r.model =~ ${globRegExp(range.model)})`;
  return flux`from(bucket: ${source.bucket})
  |> range(start: ${start}, stop: ${stop})
  |> filter(fn: (r) => r._measurement == ${source.measurement})${byModel}
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`;
}

/** Reads the drift series of a range from InfluxDB as the observations rules read. */
export async function readDriftObservations(
  source: DriftSource,
  range: DriftRange,
): Promise<{ observations: DriftObservation[]; rows: number; skipped: number }> {
  const api = new InfluxDB({ url: source.url, token: source.token, timeout: 120_000 }).getQueryApi(
    source.org,
  );
  const matchModel = range.model === undefined ? () => true : compileGlob(range.model);
  const observations: DriftObservation[] = [];
  let rows = 0;
  let skipped = 0;
  for await (const { values, tableMeta } of api.iterateRows(driftQuery(source, range))) {
    rows++;
    const o = observationFromRow(tableMeta.toObject(values));
    if (o === undefined) skipped++;
    else if (matchModel(o.model)) observations.push(o);
  }
  return { observations, rows, skipped };
}

// ---- output ----

const iso = (ms: number) => new Date(ms).toISOString();
const fmt = (v: number | null) => (v === null ? '-' : Number(v.toPrecision(4)).toString());

function transitionLine(t: BacktestTransition): string {
  const what =
    t.to === 'firing' ? (t.from === 'recovering' ? 'FIRING (again)' : 'FIRING') : 'RESOLVED';
  return [
    iso(t.time),
    what.padEnd(9),
    t.rule,
    `${t.model}@${t.modelVersion}`,
    t.feature,
    t.method,
    `value ${fmt(t.value)} (rule ${t.op} ${fmt(t.threshold)})`,
    t.to === 'firing' ? t.severity : '',
  ]
    .filter(Boolean)
    .join('  ');
}

/** The group a notification is for: model@version when grouped by them, other labels as k=v. */
function groupText(labels: Record<string, string>): string {
  const { model, model_version: version, ...rest } = labels;
  delete rest.rule;
  const parts = model !== undefined && version !== undefined ? [`${model}@${version}`] : [];
  if (model !== undefined && version === undefined) parts.push(`model=${model}`);
  if (model === undefined && version !== undefined) parts.push(`model_version=${version}`);
  for (const [k, v] of Object.entries(rest)) parts.push(`${k}=${v}`);
  return parts.join(' ') || '(all)';
}

function notificationLine(n: BacktestNotification): string {
  return [
    iso(n.time),
    'NOTIFY   ',
    n.kind,
    n.rule,
    groupText(n.groupLabels),
    `→ ${n.receivers.join(', ')}`,
    `(${n.alerts} alert${n.alerts === 1 ? '' : 's'}, ${n.severity})`,
    `id ${n.id}`,
  ].join('  ');
}

/** The readable report: range, timeline, then counts per rule. */
export function formatBacktest(result: BacktestResult, range: DriftRange, rulesFile: string) {
  const out = [
    `backtest of ${rulesFile} over ${iso(range.from)} .. ${iso(range.to)}${range.model ? ` (models ${range.model})` : ''}`,
    `${result.windows} windows, ${result.observations} points, ${result.models} model versions${result.firstWindowEnd === null ? '' : `, window ends ${iso(result.firstWindowEnd)} .. ${iso(result.lastWindowEnd ?? result.firstWindowEnd)}`}`,
    '',
  ];
  if (result.events.length === 0) out.push('no alert fired', '');
  for (const e of result.events) {
    out.push(e.type === 'transition' ? transitionLine(e) : notificationLine(e));
  }
  if (result.events.length > 0) out.push('');
  const width = Math.max(4, ...result.rules.map((r) => r.rule.length)) + 2;
  const cols = ['episodes', 'firing', 'update', 'repeat', 'resolved', 'retrain'];
  out.push(`${'rule'.padEnd(width)}${cols.map((c) => c.padStart(10)).join('')}`);
  for (const r of result.rules) {
    const n = r.notifications;
    const cells = [r.episodes, n.firing, n.update, n.repeat, n.resolved, r.retrainRequests];
    out.push(`${r.rule.padEnd(width)}${cells.map((c) => String(c).padStart(10)).join('')}`);
  }
  out.push(
    '',
    'episodes: alerts that started firing; firing … resolved: notifications by kind; retrain: retraining requests',
  );
  return `${out.join('\n')}\n`;
}

/** The report as one JSON value (times as ISO strings). */
export function backtestJson(result: BacktestResult, range: DriftRange, rulesFile: string) {
  return {
    rulesFile,
    from: iso(range.from),
    to: iso(range.to),
    model: range.model ?? null,
    windows: result.windows,
    observations: result.observations,
    models: result.models,
    firstWindowEnd: result.firstWindowEnd === null ? null : iso(result.firstWindowEnd),
    lastWindowEnd: result.lastWindowEnd === null ? null : iso(result.lastWindowEnd),
    events: result.events.map((e) => ({ ...e, time: iso(e.time) })),
    rules: result.rules,
  };
}
