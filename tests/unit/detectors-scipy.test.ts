/**
 * Conformance of the public detector API with scipy 1.17.1 / numpy 2.4.6.
 *
 * Expected values come from tests/fixtures/make_detectors_reference.py (see its header for how
 * to regenerate tests/fixtures/detectors-reference.json). Large samples are stored as generator
 * specs and rebuilt bit for bit by tests/support/dyadic-rng.ts. Every case has a unique `name`;
 * each `it` loops over one fixture group and reports every failing case by that name.
 *
 * Tolerances: statistics and distances relative 1e-9 (KS D absolute 1e-12; a case with `atol`
 * uses that absolute tolerance instead); p-values relative 1e-8 where scipy's p ≥ 1e-300, and
 * when scipy's p < 1e-300 ours must be < 1e-300 too.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  chiSquareContingency,
  chiSquareGoodnessOfFit,
  hellingerDistance,
  jensenShannonDistance,
  ksTwoSample,
  psi,
  wassersteinDistance,
} from '../../detectors/index.js';
import {
  generateSample,
  sampleCheck,
  type SampleCheck,
  type SampleSpec,
} from '../support/dyadic-rng.js';

// ---------------------------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------------------------

type GeneratedSample = SampleSpec & { check: SampleCheck };
/** A literal vector, or a generator spec for a large sample. */
type Vector = number[] | GeneratedSample;

interface TestResult {
  statistic: number;
  pValue: number;
  dof: number;
}

interface KsCase {
  name: string;
  a: Vector;
  b: Vector;
  /** Absent: called without options (default 'auto'). */
  method?: 'auto' | 'exact' | 'asymp';
  /** Why scipy used a method other than the requested one, where not obvious. */
  note?: string;
  want: { statistic: number; pValue: number; method: 'exact' | 'asymp' };
}

interface DistanceCase {
  name: string;
  want: number;
  /** Absolute tolerance instead of relative 1e-9 (mpmath reference, near-identical inputs). */
  atol?: number;
}

interface ErrorCase {
  name: string;
  fn: keyof typeof api;
  args: unknown[];
  /** What scipy does with the same input ("ValueError: …", "returns NaN", …). */
  scipy: string;
}

interface Reference {
  generator: { scipy: string; numpy: string; mpmath: string };
  ksTwoSample: KsCase[];
  chiSquareGoodnessOfFit: {
    name: string;
    observed: number[];
    expected: number[];
    want: TestResult;
  }[];
  chiSquareContingency: {
    name: string;
    table: number[][];
    correction?: boolean;
    want: TestResult;
  }[];
  psi: (DistanceCase & { reference: number[]; current: number[]; epsilon?: number })[];
  jensenShannonDistance: (DistanceCase & { p: number[]; q: number[]; base?: number })[];
  wassersteinDistance: (DistanceCase & {
    u: Vector;
    v: Vector;
    uWeights?: Vector;
    vWeights?: Vector;
  })[];
  hellingerDistance: (DistanceCase & { p: number[]; q: number[] })[];
  errors: ErrorCase[];
}

const api = {
  ksTwoSample,
  chiSquareGoodnessOfFit,
  chiSquareContingency,
  psi,
  jensenShannonDistance,
  wassersteinDistance,
  hellingerDistance,
};

/** JSON has no Infinity/NaN: the script writes them as strings. */
const NON_FINITE: Record<string, number> = { Infinity: Infinity, '-Infinity': -Infinity, NaN: NaN };

const reference = JSON.parse(
  readFileSync(new URL('../fixtures/detectors-reference.json', import.meta.url), 'utf8'),
  (_key: string, value: unknown): unknown =>
    typeof value === 'string' && value in NON_FINITE ? NON_FINITE[value] : value,
) as Reference;

// ---------------------------------------------------------------------------------------------
// Samples
// ---------------------------------------------------------------------------------------------

const cache = new Map<string, Float64Array>();

function specKey(spec: GeneratedSample): string {
  return JSON.stringify(spec, (key, value: unknown) => (key === 'check' ? undefined : value));
}

/** Differences between a regenerated sample's checksum and the stored one ([] if identical). */
function checkMismatches(values: Float64Array, want: SampleCheck): string[] {
  const got = sampleCheck(values);
  return (Object.keys(want) as (keyof SampleCheck)[])
    .filter((k) => !Object.is(got[k], want[k]))
    .map((k) => `${k} ${got[k]} != ${want[k]}`);
}

function regenerate(spec: GeneratedSample): Float64Array {
  const key = specKey(spec);
  let values = cache.get(key);
  if (values === undefined) {
    values = generateSample(spec);
    const bad = checkMismatches(values, spec.check);
    if (bad.length > 0) throw new Error(`sample ${key} not reproduced: ${bad.join(', ')}`);
    cache.set(key, values);
  }
  return values;
}

/** A fresh copy each call, so an implementation that sorts in place cannot affect other cases. */
function vec(v: Vector): number[] | Float64Array {
  return Array.isArray(v) ? [...v] : regenerate(v).slice();
}

function isGenerated(x: unknown): x is GeneratedSample {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && 'gen' in x && 'check' in x;
}

function collectSpecs(x: unknown, into: GeneratedSample[] = []): GeneratedSample[] {
  if (isGenerated(x)) into.push(x);
  else if (Array.isArray(x)) for (const item of x) collectSpecs(item, into);
  else if (typeof x === 'object' && x !== null) {
    for (const item of Object.values(x)) collectSpecs(item, into);
  }
  return into;
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

const STAT_RTOL = 1e-9;
const KS_D_ATOL = 1e-12;
const P_RTOL = 1e-8;
const P_FLOOR = 1e-300;

/** Relative closeness; a non-finite expected value (chi-square Infinity) must match exactly. */
function closeRel(actual: number, want: number, rtol: number): boolean {
  if (!Number.isFinite(want)) return Object.is(actual, want);
  return Math.abs(actual - want) <= rtol * Math.abs(want);
}

/** p-value rule: relative 1e-8 where scipy's p ≥ 1e-300; both < 1e-300 otherwise. */
function pValueMatches(actual: number, want: number): boolean {
  if (!(actual >= 0 && actual <= 1)) return false;
  if (want < P_FLOOR) return actual < P_FLOOR;
  return Math.abs(actual - want) <= P_RTOL * want;
}

function distanceMatches(actual: number, c: DistanceCase): boolean {
  return c.atol === undefined
    ? closeRel(actual, c.want, STAT_RTOL)
    : Math.abs(actual - c.want) <= c.atol;
}

/** Runs every case, collecting "<case name>: <problem>" lines (also for a throw). */
function failuresOf<C extends { name: string }>(cases: C[], check: (c: C) => string[]): string[] {
  const failures: string[] = [];
  for (const c of cases) {
    try {
      for (const problem of check(c)) failures.push(`${c.name}: ${problem}`);
    } catch (err) {
      failures.push(`${c.name}: threw ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return failures;
}

function testResultProblems(got: TestResult, want: TestResult): string[] {
  const problems: string[] = [];
  if (!closeRel(got.statistic, want.statistic, STAT_RTOL)) {
    problems.push(`statistic ${got.statistic} vs scipy ${want.statistic}`);
  }
  if (!pValueMatches(got.pValue, want.pValue)) {
    problems.push(`pValue ${got.pValue} vs scipy ${want.pValue}`);
  }
  if (got.dof !== want.dof) problems.push(`dof ${got.dof} vs scipy ${want.dof}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('scipy reference fixtures', () => {
  it('were generated with scipy 1.17.1 and numpy 2.4.6', () => {
    expect(reference.generator).toMatchObject({ scipy: '1.17.1', numpy: '2.4.6' });
  });

  it('dyadic generator reproduces every stored sample bit for bit', () => {
    const specs = collectSpecs(reference);
    expect(specs.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const spec of specs) {
      const bad = checkMismatches(generateSample(spec), spec.check);
      if (bad.length > 0) failures.push(`${specKey(spec)}: ${bad.join(', ')}`);
    }
    expect(failures).toEqual([]);
  });

  it('case names are unique', () => {
    const groups = [
      reference.ksTwoSample,
      reference.chiSquareGoodnessOfFit,
      reference.chiSquareContingency,
      reference.psi,
      reference.jensenShannonDistance,
      reference.wassersteinDistance,
      reference.hellingerDistance,
      reference.errors,
    ];
    const names = groups.flatMap((g: { name: string }[]) => g.map((c) => c.name));
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });
});

describe('detectors match scipy', () => {
  it(`ksTwoSample: ${reference.ksTwoSample.length} cases (D, p, method used)`, () => {
    const failures = failuresOf(reference.ksTwoSample, (c) => {
      const a = vec(c.a);
      const b = vec(c.b);
      const got =
        c.method === undefined ? ksTwoSample(a, b) : ksTwoSample(a, b, { method: c.method });
      const problems: string[] = [];
      if (!(Math.abs(got.statistic - c.want.statistic) <= KS_D_ATOL)) {
        problems.push(`D ${got.statistic} vs scipy ${c.want.statistic}`);
      }
      if (!pValueMatches(got.pValue, c.want.pValue)) {
        problems.push(`pValue ${got.pValue} vs scipy ${c.want.pValue}`);
      }
      if (got.method !== c.want.method) {
        problems.push(
          `method ${got.method} vs scipy ${c.want.method}${c.note ? ` (${c.note})` : ''}`,
        );
      }
      return problems;
    });
    expect(failures).toEqual([]);
  });

  it(`chiSquareGoodnessOfFit: ${reference.chiSquareGoodnessOfFit.length} cases`, () => {
    const failures = failuresOf(reference.chiSquareGoodnessOfFit, (c) =>
      testResultProblems(chiSquareGoodnessOfFit(c.observed, c.expected), c.want),
    );
    expect(failures).toEqual([]);
  });

  it(`chiSquareContingency: ${reference.chiSquareContingency.length} cases`, () => {
    const failures = failuresOf(reference.chiSquareContingency, (c) => {
      const got =
        c.correction === undefined
          ? chiSquareContingency(c.table)
          : chiSquareContingency(c.table, { correction: c.correction });
      return testResultProblems(got, c.want);
    });
    expect(failures).toEqual([]);
  });

  it(`psi: ${reference.psi.length} cases (numpy/mpmath reference)`, () => {
    const failures = failuresOf(reference.psi, (c) => {
      const got =
        c.epsilon === undefined
          ? psi(c.reference, c.current)
          : psi(c.reference, c.current, { epsilon: c.epsilon });
      return distanceMatches(got, c) ? [] : [`${got} vs reference ${c.want}`];
    });
    expect(failures).toEqual([]);
  });

  it(`jensenShannonDistance: ${reference.jensenShannonDistance.length} cases`, () => {
    const failures = failuresOf(reference.jensenShannonDistance, (c) => {
      const got =
        c.base === undefined
          ? jensenShannonDistance(c.p, c.q)
          : jensenShannonDistance(c.p, c.q, { base: c.base });
      return distanceMatches(got, c) ? [] : [`${got} vs reference ${c.want}`];
    });
    expect(failures).toEqual([]);
  });

  it(`wassersteinDistance: ${reference.wassersteinDistance.length} cases`, () => {
    const failures = failuresOf(reference.wassersteinDistance, (c) => {
      const opts: { uWeights?: ArrayLike<number>; vWeights?: ArrayLike<number> } = {};
      if (c.uWeights !== undefined) opts.uWeights = vec(c.uWeights);
      if (c.vWeights !== undefined) opts.vWeights = vec(c.vWeights);
      const got =
        Object.keys(opts).length === 0
          ? wassersteinDistance(vec(c.u), vec(c.v))
          : wassersteinDistance(vec(c.u), vec(c.v), opts);
      return distanceMatches(got, c) ? [] : [`${got} vs scipy ${c.want}`];
    });
    expect(failures).toEqual([]);
  });

  it(`hellingerDistance: ${reference.hellingerDistance.length} cases (numpy/mpmath reference)`, () => {
    const failures = failuresOf(reference.hellingerDistance, (c) => {
      const got = hellingerDistance(c.p, c.q);
      return distanceMatches(got, c) ? [] : [`${got} vs reference ${c.want}`];
    });
    expect(failures).toEqual([]);
  });

  it(`throws an Error on invalid input: ${reference.errors.length} cases`, () => {
    const failures: string[] = [];
    for (const c of reference.errors) {
      const fn = api[c.fn] as (...args: unknown[]) => unknown;
      let result: unknown;
      try {
        result = fn(...c.args);
      } catch (err) {
        if (!(err instanceof Error) || err.message === '') {
          failures.push(`${c.name}: threw ${String(err)}, expected an Error with a message`);
        }
        continue;
      }
      failures.push(`${c.name}: returned ${JSON.stringify(result)} (scipy: ${c.scipy})`);
    }
    expect(failures).toEqual([]);
  });
});
