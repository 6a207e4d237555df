/**
 * Renders one AlertNotification as an email: subject, text and HTML bodies, threading ids and
 * headers. Pure (no I/O, no clock): the same notification always renders the same message.
 *
 * Threading follows Alertmanager's "phantom root": every mail of a group episode replies to a
 * root Message-ID that is never sent, so clients that thread by References/In-Reply-To put
 * firing, updates, repeats and the resolution in one thread, and the subject (which carries
 * neither status nor severity, both can change within an episode) keeps subject-threading
 * clients (Gmail) together too.
 *
 * Everything interpolated comes, in the end, from prediction logs and config (model, feature
 * and label values), so the HTML part escapes every string and only links http(s) URLs, and
 * single-line fields in the text part have their control characters made visible.
 */
import type { AlertNotification } from '../../../alert-engine/model.js';
import { describe, modelVersion, orderedLabels } from './email-doc.js';
import { clip, headerValue, msgIdPart, oneLine } from './email-format.js';
import { renderHtml } from './email-html.js';
import { renderText } from './email-text.js';

export { fmtNum, iso } from './email-format.js';

export interface RenderEmailOptions {
  /** The right-hand side of Message-IDs, e.g. "alerts.example.com". */
  mailDomain: string;
  /** Subject prefix, in brackets (default "driftwatch"). */
  subjectPrefix?: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  /** This mail's Message-ID, `<notification id@domain>`. */
  messageId: string;
  /** The group episode's phantom root, `<ep-episode@domain>`, never sent itself. */
  inReplyTo: string;
  references: string[];
  headers: Record<string, string>;
}

const SUBJECT_MAX = 200;

export function renderEmail(n: AlertNotification, opts: RenderEmailOptions): RenderedEmail {
  const domain = msgIdPart(opts.mailDomain) || 'driftwatch.invalid';
  const root = `<ep-${msgIdPart(n.groupEpisodeId)}@${domain}>`;
  const doc = describe(n);
  return {
    subject: subject(n, opts.subjectPrefix ?? 'driftwatch'),
    text: renderText(doc),
    html: renderHtml(doc),
    messageId: `<${msgIdPart(n.id)}@${domain}>`,
    inReplyTo: root,
    references: [root],
    headers: {
      'X-Driftwatch-Status': n.status,
      'X-Driftwatch-Kind': n.kind,
      'X-Driftwatch-Severity': n.severity,
      'X-Driftwatch-Group': headerValue(n.groupKey),
      'X-Driftwatch-Episode': headerValue(n.groupEpisodeId),
      // RFC 3834: machine-generated, so vacation responders and auto-repliers stay quiet.
      'Auto-Submitted': 'auto-generated',
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Subject

/**
 * `[prefix] <rules> — <model>@<version> (<other group labels>)`. Built only from what stays
 * fixed for a group episode: the group labels and the rule (a group is one rule; its
 * `<rule>:stale` alert counts as the same rule). Status and severity go in the body/headers.
 */
function subject(n: AlertNotification, prefix: string): string {
  const shown = new Set(['model', 'model_version', 'rule']);
  if (n.kind === 'retrain') {
    const model = n.retrain ? `${n.retrain.model}@${n.retrain.modelVersion}` : modelVersion(n);
    return clip(oneLine(`[${prefix}] retraining request — ${model}`), SUBJECT_MAX);
  }
  // The group's rule (one per group) keeps the subject stable whatever the alerts are.
  const rules = n.groupLabels.rule
    ? [n.groupLabels.rule]
    : [...new Set(n.alerts.map((a) => a.rule))].sort();
  const rest = orderedLabels(n.groupLabels)
    .filter(([k]) => !shown.has(k))
    .map(([k, v]) => `${k}=${v}`);
  const head = `[${prefix}] ${rules.length > 0 ? rules.join(', ') : 'drift alert'} — ${modelVersion(n)}`;
  return clip(oneLine(rest.length > 0 ? `${head} (${rest.join(', ')})` : head), SUBJECT_MAX);
}
