import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { compileGlob, type Matcher } from '../../alert-engine/glob.js';
import {
  defaultMethodPattern,
  type AlertRule,
  type ReceiverPolicy,
  type RuleStatistic,
} from '../../alert-engine/rule.js';
import type { InhibitRule } from '../../alert-engine/inhibition.js';
import type { VersionPolicy } from '../../alert-engine/versions.js';
import { DriftwatchError } from '../errors.js';
import { compileInhibit } from './inhibit-schema.js';
import { keyPathOf, yamlLineOf } from '../zod-issues.js';
import {
  rulesFileSchema,
  type ReceiverSpec,
  type RuleSpec,
  type RulesFile,
} from './rules-schema.js';

export interface LoadedRules {
  file: string;
  rules: AlertRule[];
  policies: ReceiverPolicy[];
  inhibitions: InhibitRule[];
  versions: VersionPolicy;
  receivers: Record<string, ReceiverSpec>;
}

/** One problem in a rules file: where (key path, line) and what. */
export interface RulesProblem {
  path: string;
  line: number | undefined;
  message: string;
}

/** Every problem of a rules file's text, each with its key path and line; empty when valid. */
export function checkRulesText(
  text: string,
): { ok: true; value: RulesFile } | { ok: false; problems: RulesProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        path: '(yaml)',
        line: e.linePos?.[0].line,
        message: e.message.split('\n')[0] ?? e.message,
      })),
    };
  }
  const result = rulesFileSchema.safeParse(doc.toJS() ?? {});
  if (result.success) return { ok: true, value: result.data };
  const lineOf = yamlLineOf(doc, lines);
  return {
    ok: false,
    problems: result.error.issues.map((issue) => ({
      path: keyPathOf(issue.path),
      line: lineOf(issue.path),
      message: issue.message,
    })),
  };
}

export function formatProblems(file: string, problems: readonly RulesProblem[]): string {
  return problems
    .map((p) => `  - ${file}${p.line ? `:${p.line}` : ''} ${p.path}: ${p.message}`)
    .join('\n');
}

/** Unnamed methods: a `value` rule reads per-feature methods, not the dataset share. */
function methodMatcher(pattern: string | string[] | undefined, statistic: RuleStatistic): Matcher {
  if (pattern !== undefined) return compileGlob(pattern);
  const glob = compileGlob(defaultMethodPattern(statistic));
  return statistic === 'value' ? (m) => m !== 'drift_share' && glob(m) : glob;
}

const DEFAULT_MIN_SAMPLES = 100;

function compileRule(spec: RuleSpec): AlertRule {
  const { condition, statistic, op, threshold } = spec.when;
  return {
    name: spec.name,
    match: {
      model: compileGlob(spec.match.model),
      modelVersion: compileGlob(spec.match.model_version),
      feature: compileGlob(spec.match.feature),
      method: methodMatcher(spec.match.method, statistic),
      window: compileGlob(spec.match.window),
    },
    condition,
    statistic,
    op,
    threshold,
    recoverThreshold: spec.recover_threshold ?? threshold,
    escalate: spec.escalate,
    forWindows: spec.for,
    keepFiringFor: spec.keep_firing_for,
    // drifted: the point's status already holds the drift config's minimum.
    minSamples: condition.kind === 'drifted' ? 0 : (spec.min_samples ?? DEFAULT_MIN_SAMPLES),
    insufficientData: spec.insufficient_data,
    staleAfterMs: spec.stale_after,
    staleSeverity: spec.stale_severity,
    severity: spec.severity,
    labels: spec.labels,
    annotations: spec.annotations,
    receivers: spec.receivers,
    repeatIntervalMs: spec.repeat_interval,
    sendResolved: spec.send_resolved,
    groupBy: spec.group_by,
    groupWaitMs: spec.group_wait,
    groupIntervalMs: spec.group_interval,
    flapping: { maxEpisodes: spec.flapping.max_episodes, withinMs: spec.flapping.within },
  };
}

function policyOf(name: string, spec: ReceiverSpec): ReceiverPolicy {
  // Alertmanager must hear every resolution: the receiver would keep re-posting the alert.
  if (spec.type === 'alertmanager') return { name, type: spec.type, sendResolved: true };
  if (spec.type !== 'retrain') return { name, type: spec.type, sendResolved: spec.send_resolved };
  return {
    name,
    type: 'retrain',
    sendResolved: false,
    gate: {
      minSeverity: spec.min_severity,
      minDriftedFeatures: spec.min_drifted_features,
      minFiringForMs: spec.min_firing_for,
      cooldownMs: spec.cooldown,
    },
  };
}

export function compileRules(file: string, value: RulesFile): LoadedRules {
  return {
    file,
    rules: value.rules.map(compileRule),
    inhibitions: value.inhibit.map(compileInhibit),
    versions: {
      supersedeAfter: value.versions.supersede_after,
      notify: value.versions.notify_superseded,
      retired: value.versions.retired.map((r) => ({ model: r.model, version: r.version })),
    },
    policies: Object.entries(value.receivers).map(([name, spec]) => policyOf(name, spec)),
    receivers: value.receivers,
  };
}

/** Validates and compiles a rules file's text; throws RULES_INVALID listing every problem. */
export function parseRulesFile(file: string, text: string): LoadedRules {
  const checked = checkRulesText(text);
  if (!checked.ok) {
    throw new DriftwatchError(
      'RULES_INVALID',
      `${file} is invalid:\n${formatProblems(file, checked.problems)}`,
    );
  }
  return compileRules(file, checked.value);
}

/** The error for a rules file that cannot be read. */
export function unreadableRulesFile(file: string, err: unknown): DriftwatchError {
  return new DriftwatchError(
    'RULES_INVALID',
    `cannot read rules file ${file}: ${(err as Error).message}`,
  );
}

/** Reads and validates a rules file; throws RULES_INVALID listing every problem. */
export function loadRulesFile(file: string): LoadedRules {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw unreadableRulesFile(file, err);
  }
  return parseRulesFile(file, text);
}
