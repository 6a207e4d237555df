import { fillRunbookBase, RUNBOOK_BASE } from '../../alert-engine/template.js';
import type { LoadedRules } from './rules-file.js';

/** Hosts reserved for documentation (RFC 2606): a link there was copied from an example. */
const EXAMPLE_HOST = /(^|\.)example\.(com|org|net)$/i;

/** The host of a URL whose path and query may still hold `{{…}}` placeholders. */
function hostOf(url: string): string | undefined {
  try {
    return new URL(url.replace(/\{\{[^}]*\}\}/g, 'x')).hostname;
  } catch {
    return undefined;
  }
}

/** The annotations holding runbook links: the rule's, and its stale alert's own. */
const RUNBOOK_KEYS = ['runbook_url', 'stale_runbook_url'] as const;

/**
 * Warnings about the runbook links of a rules file as they would be resolved with
 * `alerts.runbookBaseUrl` = `base`: a link (or the base) still on an example host, or
 * `{{runbook_base}}` used without a base to fill it. Not errors: the rules still work. The
 * rules using the base share one warning about it.
 */
export function runbookWarnings(loaded: LoadedRules, base: string | undefined): string[] {
  const out: string[] = [];
  const usingBase: string[] = [];
  for (const rule of loaded.rules) {
    for (const key of RUNBOOK_KEYS) {
      const url = rule.annotations[key];
      if (url === undefined) continue;
      if (url.includes(RUNBOOK_BASE)) {
        if (!usingBase.includes(rule.name)) usingBase.push(rule.name);
        continue;
      }
      const host = hostOf(url);
      if (host !== undefined && EXAMPLE_HOST.test(host)) {
        out.push(
          `${loaded.file}: rules.${rule.name}.annotations.${key} still points at the example host ${host}: set it to where your runbooks are, or use ${RUNBOOK_BASE}`,
        );
      }
    }
  }
  if (usingBase.length === 0) return out;
  const users = `${RUNBOOK_BASE} in the runbook_url of ${usingBase.join(', ')}`;
  const baseHost = base === undefined ? undefined : hostOf(fillRunbookBase(RUNBOOK_BASE, base));
  if (base === undefined) {
    out.push(
      `${loaded.file}: ${users} stays unfilled: no alerts.runbookBaseUrl given (rules validate --config <driftwatch.yaml>)`,
    );
  } else if (baseHost !== undefined && EXAMPLE_HOST.test(baseHost)) {
    out.push(
      `${loaded.file}: ${users} points at the example host ${baseHost}: set alerts.runbookBaseUrl to where docs/runbooks/ is published`,
    );
  }
  return out;
}
