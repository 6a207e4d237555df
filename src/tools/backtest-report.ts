import type { BacktestNotification, BacktestResult, BacktestTransition } from './backtest.js';
import type { DriftRange } from './backtest-source.js';

/** The backtest's output: the readable report and the JSON one. */

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
