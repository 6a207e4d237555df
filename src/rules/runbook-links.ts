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

/**
 * Warnings about the runbook links of a rules file as they would be resolved with
 * `alerts.runbookBaseUrl` = `base`: a link (or the base) still on an example host, or
 * `{{runbook_base}}` used without a base to fill it. Not errors: the rules still work.
 */
export function runbookWarnings(loaded: LoadedRules, base: string | undefined): string[] {
  const out: string[] = [];
  for (const rule of loaded.rules) {
    const url = rule.annotations.runbook_url;
    if (url === undefined) continue;
    const key = `rules.${rule.name}.annotations.runbook_url`;
    const resolved = fillRunbookBase(url, base);
    if (resolved.includes(RUNBOOK_BASE)) {
      out.push(
        `${loaded.file}: ${key} uses ${RUNBOOK_BASE}, but no alerts.runbookBaseUrl is given (rules validate --config <driftwatch.yaml>)`,
      );
      continue;
    }
    const host = hostOf(resolved);
    if (host !== undefined && EXAMPLE_HOST.test(host)) {
      const from = url.includes(RUNBOOK_BASE) ? 'alerts.runbookBaseUrl' : key;
      out.push(
        `${loaded.file}: ${key} still points at the example host ${host} (${resolved}): set ${from} to where your runbooks are`,
      );
    }
  }
  return out;
}
