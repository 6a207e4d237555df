import { z } from 'zod';
import { NUMERIC_METHODS } from '../../detectors/settings.js';
import { MEASURES } from '../../alert-engine/model.js';
import {
  OPERATORS,
  type Comparison,
  type Operator,
  type RuleCondition,
  type RuleStatistic,
} from '../../alert-engine/rule.js';

/** A rule's `when`: one comparison, `all:`/`any:` lists of them, or `drifted: true`. */

export const STATISTICS = [
  'value',
  'p_value',
  'drift_share',
  'missing_share',
  'unseen_share',
  'out_of_range_share',
  'out_of_quantile_share',
  'wrong_type_share',
  ...MEASURES,
] as const;

/** Methods a comparison may name to read another point of the same feature (`ks.p_value`). */
const METHODS: readonly string[] = [...NUMERIC_METHODS, 'drift_share'];

const COMPARISON = new RegExp(
  `^\\s*(?:(${METHODS.join('|')})\\.)?(${STATISTICS.join('|')})\\s*(>=|<=|>|<)\\s*([-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?)\\s*$`,
);

/** `"value > 0.25"`, `"p_value < 0.001"`, `"ks.p_value < 0.001"`; undefined when malformed. */
function parseComparison(text: string): Comparison | undefined {
  const m = COMPARISON.exec(text);
  if (!m) return undefined;
  return {
    method: m[1],
    statistic: m[2] as RuleStatistic,
    op: m[3] as Operator,
    threshold: Number(m[4]),
  };
}

const malformed = (text: string) =>
  `expected "<statistic> <op> <number>" with statistic one of ${STATISTICS.join(', ')} (optionally after a method: ${METHODS.map((m) => `${m}.`).join(', ')}) and op one of ${OPERATORS.join(' ')}, got ${JSON.stringify(text)}`;

/** The compiled `when`: the condition, and its first comparison (what is reported). */
export interface WhenSpec {
  condition: RuleCondition;
  statistic: RuleStatistic;
  op: Operator;
  threshold: number;
}

function compound(combine: 'all' | 'any', list: Comparison[]): WhenSpec {
  const first = list[0] as Comparison;
  return {
    condition: { kind: 'compare', combine, comparisons: list },
    statistic: first.statistic,
    op: first.op,
    threshold: first.threshold,
  };
}

const texts = z.array(z.string()).min(1);

/** Shapes first, comparisons parsed after, so a bad one is named (not "Invalid input"). */
export const whenSchema = z
  .union([
    z.string(),
    z.strictObject({ all: texts }),
    z.strictObject({ any: texts }),
    z.strictObject({ drifted: z.literal(true) }),
  ])
  .transform((when, ctx): WhenSpec => {
    if (typeof when === 'object' && 'drifted' in when) {
      return { condition: { kind: 'drifted' }, statistic: 'value', op: '>=', threshold: 0 };
    }
    const [combine, list, path] =
      typeof when === 'string'
        ? (['all', [when], []] as const)
        : 'all' in when
          ? (['all', when.all, ['all']] as const)
          : (['any', when.any, ['any']] as const);
    const parsed: Comparison[] = [];
    list.forEach((text, i) => {
      const c = parseComparison(text);
      if (c) parsed.push(c);
      else {
        ctx.addIssue({
          code: 'custom',
          path: typeof when === 'string' ? [] : [...path, i],
          message: malformed(text),
        });
      }
    });
    if (parsed.length < list.length) return z.NEVER;
    return compound(combine, parsed);
  });

/** A plain comparison on the matched point itself: the only form with a hysteresis band. */
export const isPlain = (w: WhenSpec): boolean =>
  w.condition.kind === 'compare' &&
  w.condition.comparisons.length === 1 &&
  w.condition.comparisons[0]?.method === undefined;
