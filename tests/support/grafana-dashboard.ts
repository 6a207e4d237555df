/**
 * The shipped Grafana dashboard (deploy/grafana/dashboards/driftwatch.json) as tests see it:
 * every Flux query it runs (panels, variables, annotations) and Grafana's variable
 * interpolation for the forms the dashboard uses (`${name}`, `${name:json}`, `${name:regex}`,
 * `v.timeRangeStart`/`v.timeRangeStop`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const DASHBOARD_FILE = path.join(
  import.meta.dirname,
  '..',
  '..',
  'deploy',
  'grafana',
  'dashboards',
  'driftwatch.json',
);

interface Target {
  refId: string;
  datasource: { type: string; uid: string };
  query?: string;
  expr?: string;
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  repeat?: string;
}

interface Variable {
  name: string;
  type: string;
  query: string;
  multi?: boolean;
  includeAll?: boolean;
}

export interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: Variable[] };
  annotations: {
    list: { name: string; datasource?: { type: string; uid: string }; target?: Target }[];
  };
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

/** One query of the dashboard: where it is, its datasource and its text before interpolation. */
export interface DashboardQuery {
  where: string;
  /** The panel's title, the variable's or annotation's name. */
  name: string;
  datasourceUid: string;
  language: 'flux' | 'promql';
  text: string;
  /** The variable a repeated panel repeats over. */
  repeat?: string;
}

export function dashboardQueries(d: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const p of d.panels) {
    for (const t of p.targets ?? []) {
      const uid = t.datasource.uid;
      out.push({
        where: `panel "${p.title}" ${t.refId}`,
        name: p.title,
        datasourceUid: uid,
        language: t.query !== undefined ? 'flux' : 'promql',
        text: t.query ?? t.expr ?? '',
        ...(p.repeat ? { repeat: p.repeat } : {}),
      });
    }
  }
  for (const v of d.templating.list.filter((x) => x.type === 'query')) {
    out.push({
      where: `variable ${v.name}`,
      name: v.name,
      datasourceUid: 'driftwatch-influx',
      language: 'flux',
      text: v.query,
    });
  }
  for (const a of d.annotations.list) {
    if (!a.target?.query) continue;
    out.push({
      where: `annotation "${a.name}"`,
      name: a.name,
      datasourceUid: a.datasource?.uid ?? '',
      language: 'flux',
      text: a.target.query,
    });
  }
  return out;
}

const escapeRegex = (s: string) => s.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

/**
 * Grafana's interpolation of the forms the dashboard uses. A variable's value is a string or,
 * for a multi-value variable, a list (`:regex` gives `(a|b)`, `:json` a JSON array).
 */
export function interpolate(
  text: string,
  values: Readonly<Record<string, string | readonly string[]>>,
  range: { from: number; to: number },
): string {
  const filled = text.replace(
    /\$\{([a-z_]+)(?::([a-z]+))?\}|\$([a-z_]+)\b/g,
    (whole, braced?: string, format?: string, bare?: string) => {
      const name = braced ?? bare ?? '';
      const value = values[name];
      if (value === undefined) throw new Error(`no value for variable ${name} in ${whole}`);
      const list = typeof value === 'string' ? [value] : [...value];
      if (format === 'json') return JSON.stringify(typeof value === 'string' ? value : list);
      if (format === 'regex') {
        const escaped = list.map(escapeRegex);
        return escaped.length === 1 ? (escaped[0] ?? '') : `(${escaped.join('|')})`;
      }
      if (format !== undefined) throw new Error(`format ${format} not supported in ${whole}`);
      return list.join(',');
    },
  );
  return filled
    .replaceAll('v.timeRangeStart', new Date(range.from).toISOString())
    .replaceAll('v.timeRangeStop', new Date(range.to).toISOString());
}

/** The names of every metric a PromQL expression reads (`driftwatch_…`). */
export function metricNames(expr: string): string[] {
  return [...new Set(expr.match(/\bdriftwatch_[a-z0-9_]+/g) ?? [])];
}

/** A Grafana server's HTTP API, credentials taken from the URL (`http://admin:admin@host:3000`). */
export class GrafanaApi {
  private readonly base: string;
  private readonly auth: string;

  constructor(url: string) {
    const u = new URL(url);
    this.auth = `Basic ${Buffer.from(`${decodeURIComponent(u.username || 'admin')}:${decodeURIComponent(u.password || 'admin')}`).toString('base64')}`;
    u.username = '';
    u.password = '';
    this.base = u.href.replace(/\/$/, '');
  }

  async call<T>(
    method: string,
    route: string,
    body?: unknown,
  ): Promise<{ status: number; json: T }> {
    const res = await fetch(`${this.base}${route}`, {
      method,
      headers: { authorization: this.auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : null) as T };
  }
}

/** Field names and label keys of the frames /api/ds/query returned for one refId. */
export interface QueryFrames {
  error?: string;
  frames?: {
    schema: { fields: { name: string; labels?: Record<string, string> }[] };
    data: { values: unknown[][] };
  }[];
}

export function columnsOf(result: QueryFrames): { rows: number; columns: Set<string> } {
  const columns = new Set<string>();
  let rows = 0;
  for (const f of result.frames ?? []) {
    rows += f.data.values[0]?.length ?? 0;
    for (const field of f.schema.fields) {
      columns.add(field.name);
      for (const label of Object.keys(field.labels ?? {})) columns.add(label);
    }
  }
  return { rows, columns };
}
