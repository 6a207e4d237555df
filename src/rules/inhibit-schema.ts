import { z } from 'zod';
import { compileGlob } from '../../alert-engine/glob.js';
import type { InhibitRule } from '../../alert-engine/inhibition.js';

/**
 * The rules file's `inhibit:` list, as Alertmanager's inhibit rules: label → glob (or list of
 * globs) on the alert labels notifications carry (rule, model, model_version, feature, method,
 * window, severity and the rule's own labels).
 */

const labelName = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'expected a snake_case label name');
const pattern = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const matchers = z
  .record(labelName, pattern)
  .refine((m) => Object.keys(m).length > 0, { message: 'name at least one label' });

export const inhibitSchema = z.strictObject({
  /** Alerts that, while firing, hold back the targets. */
  source_match: matchers,
  /** Alerts held back while a source with the same `equal` labels fires. */
  target_match: matchers,
  /** Labels the source and the target must share (e.g. [model, model_version]). */
  equal: z.array(labelName).default([]),
});

export type InhibitSpec = z.infer<typeof inhibitSchema>;

const compileMatchers = (m: InhibitSpec['source_match']) =>
  Object.keys(m)
    .sort()
    .map((label) => [label, compileGlob(m[label] ?? '*')] as const);

export function compileInhibit(spec: InhibitSpec): InhibitRule {
  return {
    source: compileMatchers(spec.source_match),
    target: compileMatchers(spec.target_match),
    equal: spec.equal,
  };
}
