import type { AlertRule } from './rule.js';

/**
 * `{{ name }}` placeholders in annotations and the dashboard URL. Unknown names are left as
 * written so a typo shows in the notification instead of vanishing.
 */
export function fillTemplate(
  template: string,
  values: Readonly<Record<string, string | number | null>>,
  encode: (s: string) => string = (s) => s,
): string {
  return template.replace(/\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/g, (whole, key: string) => {
    if (!Object.hasOwn(values, key)) return whole;
    const v = values[key];
    return encode(v === null || v === undefined ? 'n/a' : formatValue(v));
  });
}

function formatValue(v: string | number): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  return abs !== 0 && abs < 1e-3 ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

/** The placeholder for `alerts.runbookBaseUrl` in a rule's annotations. */
export const RUNBOOK_BASE = '{{runbook_base}}';

/**
 * A rule's annotation with `{{runbook_base}}` replaced by the configured base URL (without its
 * trailing slash, so `{{runbook_base}}/feature-drift.md` never doubles it). Done before the
 * other placeholders are filled: the base is an operator's URL, inserted as written, not
 * percent-encoded like a label value. Without a base the placeholder stays, visibly.
 */
export function fillRunbookBase(template: string, base: string | undefined): string {
  if (base === undefined || !template.includes(RUNBOOK_BASE)) return template;
  return template.replaceAll(RUNBOOK_BASE, base.replace(/\/+$/, ''));
}

/** The rule with `{{runbook_base}}` filled in every annotation (the same rule when unused). */
export function withRunbookBase(rule: AlertRule, base: string | undefined): AlertRule {
  const entries = Object.entries(rule.annotations);
  if (base === undefined || !entries.some(([, v]) => v.includes(RUNBOOK_BASE))) return rule;
  return {
    ...rule,
    annotations: Object.fromEntries(entries.map(([k, v]) => [k, fillRunbookBase(v, base)])),
  };
}
