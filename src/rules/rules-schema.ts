import { z } from 'zod';
import { SEVERITIES } from '../../alert-engine/model.js';
import { isPlain, whenSchema } from './condition-schema.js';
import { inhibitSchema } from './inhibit-schema.js';
import { durationSchema, parseDuration } from '../config/duration.js';

/**
 * The rules file: receivers (where notifications go) and rules (when they go). Validated once
 * when read; the JSON Schema (`driftwatch rules schema`) is generated from this definition.
 */

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');
const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'expected letters, digits, "_", "-" or "." (≤100)');
const severity = z.enum(SEVERITIES as [string, ...string[]]).transform((s) => s as Severity);
type Severity = (typeof SEVERITIES)[number];
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

/** An HTTP header name is a token (RFC 9110 §5.6.2). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Extra request headers: a CR or LF in a value would inject headers (or break the request). */
const headers = z.record(z.string(), z.string()).superRefine((record, ctx) => {
  for (const [key, value] of Object.entries(record)) {
    if (!HEADER_NAME.test(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `${JSON.stringify(key)} is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_\`|~ only)`,
      });
    }
    if (/[\r\n\0]/.test(value)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'a header value must not contain CR, LF or NUL characters',
      });
    }
  }
});

/** A glob (`*`, `?`) or a list of them; a series matches when any matches. */
const pattern = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** A count of windows, or a duration converted to windows of the series' length (rounded up). */
const windowsOrDuration = z
  .union([z.number().int().min(0), z.string()])
  .transform((v, ctx): number | { ms: number } => {
    if (typeof v === 'number') return v;
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a window count or a duration such as "15m", got "${v}"`,
      });
      return z.NEVER;
    }
    return { ms };
  });

const GROUP_LABELS = ['model', 'model_version', 'feature', 'method', 'window'] as const;

const ruleSchema = z
  .strictObject({
    name,
    /** Which drift series the rule reads; every key a glob or list of globs (default `*`). */
    match: z
      .strictObject({
        model: pattern.default('*'),
        model_version: pattern.default('*'),
        feature: pattern.default('*'),
        method: pattern.optional(),
        window: pattern.default('*'),
      })
      .prefault({}),
    /** `"value > 0.25"`, `{all: [...]}`, `{any: [...]}` or `{drifted: true}`. */
    when: whenSchema,
    /** Hysteresis of a plain comparison: firing ends only once the statistic is back past this
     * (default: threshold). */
    recover_threshold: z.number().optional(),
    /** A second, stricter threshold that raises the severity while it is breached. */
    escalate: z.strictObject({ threshold: z.number(), severity }).optional(),
    for: windowsOrDuration.default(0),
    keep_firing_for: windowsOrDuration.default(0),
    /** Windows with fewer values (n) than this are insufficient: see `insufficient_data`. */
    /** Default 100; `drifted` rules take the drift config's minSamples instead. */
    min_samples: z.number().int().min(0).optional(),
    /** keep_last: state unchanged (never a false "resolved"); ok: counts as not breaching; breach. */
    insufficient_data: z.enum(['keep_last', 'ok', 'breach']).default('keep_last'),
    /** A separate "<rule>:stale" alert when a model has had no sufficient window this long. */
    stale_after: durationSchema.optional(),
    stale_severity: severity.default('info'),
    severity: severity.default('warning'),
    labels: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/), z.string()).default({}),
    annotations: z
      .record(z.string().regex(/^[a-z_][a-z0-9_]*$/), z.string())
      .default({})
      .refine((a) => a.runbook_url === undefined || /^(https?:\/\/|\{\{)/.test(a.runbook_url), {
        message: 'runbook_url must be an http(s) URL (templates allowed)',
        path: ['runbook_url'],
      })
      .refine(
        (a) => a.stale_runbook_url === undefined || /^(https?:\/\/|\{\{)/.test(a.stale_runbook_url),
        {
          message: 'stale_runbook_url must be an http(s) URL (templates allowed)',
          path: ['stale_runbook_url'],
        },
      ),
    receivers: z.array(name).min(1),
    repeat_interval: durationSchema.prefault('4h'),
    send_resolved: z.boolean().default(true),
    /** Labels one notification groups by, besides the rule (default: the model and version). */
    group_by: z.array(z.enum(GROUP_LABELS)).default(['model', 'model_version']),
    group_wait: durationSchema.default(0),
    group_interval: durationSchema.prefault('5m'),
    /** An instance starting this many episodes within `within` is flapping: notified once, held. */
    flapping: z
      .strictObject({
        max_episodes: z.number().int().min(2).default(4),
        within: durationSchema.prefault('6h'),
      })
      .prefault({}),
  })
  .superRefine((rule, ctx) => {
    const { op, threshold } = rule.when;
    const upward = op === '>' || op === '>=';
    const r = rule.recover_threshold;
    const drifted = rule.when.condition.kind === 'drifted';
    if (r !== undefined && !isPlain(rule.when)) {
      ctx.addIssue({
        code: 'custom',
        path: ['recover_threshold'],
        message:
          'applies to a single comparison only; with all/any or drifted, use keep_firing_for against flapping',
      });
    } else if (r !== undefined && (upward ? r > threshold : r < threshold)) {
      ctx.addIssue({
        code: 'custom',
        path: ['recover_threshold'],
        message: `must be ${upward ? 'at most' : 'at least'} the threshold ${threshold} of "${op}"`,
      });
    }
    for (const key of ['escalate', 'min_samples'] as const) {
      if (drifted && rule[key] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `not with drifted: true (the drift config decides; use a comparison such as "value >= 1" for ${key === 'escalate' ? 'a second threshold' : 'other sample minimums'})`,
        });
      }
    }
    const e = rule.escalate?.threshold;
    if (e !== undefined && (upward ? e < threshold : e > threshold)) {
      ctx.addIssue({
        code: 'custom',
        path: ['escalate', 'threshold'],
        message: `must be beyond the threshold ${threshold} in the direction of "${op}"`,
      });
    }
  });

const receiverBase = { send_resolved: z.boolean().optional() };
const webhookBase = {
  url: httpUrl,
  /** Standard Webhooks secret (`whsec_…`) from this variable; unsigned without it. */
  secret_env: envName.optional(),
  /** The previous secret during a rotation: requests carry both signatures. */
  previous_secret_env: envName.optional(),
  timeout: durationSchema.prefault('15s'),
  /** Give up (dead letter) once a notification is this old. */
  max_age: durationSchema.prefault('24h'),
  headers: headers.default({}),
};

const receiverSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('email'),
    to: z.array(z.email()).min(1),
    /** Default: smtp.from of the daemon config. */
    from: z.string().min(3).optional(),
    subject_prefix: z.string().default('driftwatch'),
    max_age: durationSchema.prefault('24h'),
    ...receiverBase,
  }),
  z.strictObject({
    type: z.literal('webhook'),
    format: z.enum(['standard', 'pagerduty', 'slack']).default('standard'),
    /** PagerDuty: the integration key from this variable. */
    routing_key_env: envName.optional(),
    ...webhookBase,
    ...receiverBase,
  }),
  z.strictObject({
    type: z.literal('alertmanager'),
    /** Alertmanager's base URL; alerts go to <url>/api/v2/alerts. */
    url: httpUrl,
    /** Firing alerts are posted again this often, each valid for 4 intervals (endsAt). */
    repost_interval: durationSchema.prefault('1m').refine((ms) => ms >= 1_000, {
      message: 'must be at least 1s',
    }),
    timeout: durationSchema.prefault('15s'),
    max_age: durationSchema.prefault('24h'),
    headers: headers.default({}),
  }),
  z.strictObject({
    type: z.literal('retrain'),
    ...webhookBase,
    max_age: durationSchema.prefault('72h'),
    /** The gate: all must hold for a request; at most one per group episode. */
    min_severity: severity.default('critical'),
    min_drifted_features: z.number().int().min(1).default(1),
    min_firing_for: durationSchema.default(0),
    /** No second request for the same model within this time. */
    cooldown: durationSchema.prefault('24h'),
  }),
]);

export const rulesFileSchema = z
  .strictObject({
    version: z.literal(1).default(1),
    receivers: z.record(name, receiverSchema),
    rules: z.array(ruleSchema).default([]),
    /** While a source alert fires, matching targets with equal labels are not notified. */
    inhibit: z.array(inhibitSchema).default([]),
    /** Model versions that stop serving: superseded by a newer one, or retired by hand. */
    versions: z
      .strictObject({
        /** A newer version served alone this long (windows of the older one, or a duration). */
        supersede_after: windowsOrDuration.default(2),
        /** false: a superseded version's alerts resolve without a message. */
        notify_superseded: z.boolean().default(true),
        retired: z
          .array(
            z.strictObject({
              model: z.string().min(1),
              version: z.string().min(1),
              /** Why, for whoever reads the file later. */
              comment: z.string().optional(),
            }),
          )
          .default([]),
      })
      .prefault({}),
  })
  .superRefine((file, ctx) => {
    const seen = new Map<string, number>();
    file.rules.forEach((rule, i) => {
      const first = seen.get(rule.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'name'],
          message: `duplicate rule name "${rule.name}" (also rules[${first}])`,
        });
      } else seen.set(rule.name, i);
      rule.receivers.forEach((r, j) => {
        if (!Object.hasOwn(file.receivers, r)) {
          ctx.addIssue({
            code: 'custom',
            path: ['rules', i, 'receivers', j],
            message: `unknown receiver "${r}" (receivers: ${Object.keys(file.receivers).join(', ') || 'none'})`,
          });
        }
      });
      if (rule.repeat_interval > 0 && rule.repeat_interval < rule.group_interval) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'repeat_interval'],
          message: `must be 0 (never) or at least group_interval (${rule.group_interval} ms)`,
        });
      }
    });
    for (const [key, r] of Object.entries(file.receivers)) {
      if (r.type === 'webhook' && r.format === 'pagerduty' && !r.routing_key_env) {
        ctx.addIssue({
          code: 'custom',
          path: ['receivers', key, 'routing_key_env'],
          message: 'format pagerduty needs routing_key_env',
        });
      }
    }
  });

export type RulesFile = z.infer<typeof rulesFileSchema>;
export type RuleSpec = RulesFile['rules'][number];
export type ReceiverSpec = RulesFile['receivers'][string];

export function rulesJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(rulesFileSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'driftwatch alert rules',
  };
}
