import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { buildBaselineFromFile, type BuildProgress } from './baseline/build-file.js';
import { writeBaselineFile } from './baseline/build.js';
import { diffBaselines } from './baseline/diff.js';
import { describeBaseline } from './baseline/inspect.js';
import { baselineJsonSchema } from './baseline/json-schema.js';
import type { Baseline } from './baseline/baseline.js';
import { loadBaselineFile, readBaselineFile } from './baseline/load-file.js';
import { MAX_BASELINE_FILE_SIZE } from './baseline/limits.js';
import { BaselineStore } from './baseline/store.js';
import { parseCommandArgs, unknownCommand } from './cli-args.js';
import { DriftwatchError } from './errors.js';

export const BASELINE_USAGE = `  driftwatch baseline build --input <train.csv|.jsonl|.parquet> --model <name> --model-version <v>
                            [--features a,b,c] [--categorical c,d] [--prediction <column>]
                            [--exclude x,y] [--bins 10] [--top-k 1000] [--sample-size 10000]
                            [--out baselines/]
      Build an immutable baseline file <out>/<model>/<version>.json from training data.
  driftwatch baseline inspect <file | model@version> [--dir baselines/]
      Print a readable summary: per feature its type, counts, quantiles or top categories, bins.
  driftwatch baseline diff <a> <b> [--dir baselines/]
      Compare two baselines (files or model@version) with PSI, KS and chi-square per feature.
  driftwatch baseline validate <file>
      Check a baseline file against the format and its content hash.
  driftwatch baseline schema
      Print the JSON Schema of the baseline file.
`;

const parse = (args: string[], options: NonNullable<ParseArgsConfig['options']>) =>
  parseCommandArgs(args, options, BASELINE_USAGE);

const list = (v: string | boolean | undefined) =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

function integer(name: string, v: string | boolean | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    throw new DriftwatchError(
      'CLI_USAGE',
      `--${name} must be an integer >= ${min}, got ${String(v)}`,
    );
  }
  return n;
}

/** A progress bar on a terminal, a line every 10% (or every 5 s) otherwise. */
function progressReporter(): (p: BuildProgress) => void {
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  let lastShare = -1;
  return (p) => {
    const share = p.totalBytes > 0 ? p.bytes / p.totalBytes : 0;
    if (tty) {
      const width = 30;
      const filled = Math.round(share * width);
      process.stderr.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${p.rows.toLocaleString('en-US')} rows`,
      );
      return;
    }
    const now = Date.now();
    if (Math.floor(share * 10) > lastShare || now - lastLine > 5_000) {
      lastShare = Math.floor(share * 10);
      lastLine = now;
      process.stderr.write(`progress: ${(share * 100).toFixed(0)}% (${p.rows} rows)\n`);
    }
  };
}

async function build(args: string[]): Promise<number> {
  const { values: v } = parse(args, {
    input: { type: 'string' },
    csv: { type: 'string' }, // 0.1 spelling of --input
    model: { type: 'string' },
    'model-version': { type: 'string' },
    features: { type: 'string' },
    categorical: { type: 'string' },
    prediction: { type: 'string' },
    exclude: { type: 'string' },
    bins: { type: 'string' },
    'top-k': { type: 'string' },
    'sample-size': { type: 'string' },
    out: { type: 'string', default: 'baselines' },
  });
  const input = v.input ?? v.csv;
  const model = v.model;
  const modelVersion = v['model-version'];
  if (typeof input !== 'string' || typeof model !== 'string' || typeof modelVersion !== 'string') {
    throw new DriftwatchError(
      'CLI_USAGE',
      `baseline build needs --input, --model and --model-version\n\n${BASELINE_USAGE}`,
    );
  }
  const progress = progressReporter();
  const baseline = await buildBaselineFromFile(
    input,
    {
      model,
      modelVersion,
      bins: integer('bins', v.bins, 2),
      topK: integer('top-k', v['top-k'], 1),
      sampleSize: integer('sample-size', v['sample-size'], 1),
      features: list(v.features),
      categorical: list(v.categorical),
      prediction: typeof v.prediction === 'string' ? v.prediction : undefined,
      exclude: list(v.exclude),
    },
    progress,
  );
  if (process.stderr.isTTY) process.stderr.write('\n');
  const file = writeBaselineFile(String(v.out), baseline);
  process.stdout.write(
    `wrote ${file} (${Object.keys(baseline.features).length} features, ${baseline.source.rows} rows, baseline ${baseline.content_sha256.slice(0, 16)})\n`,
  );
  return 0;
}

/**
 * A file path, or model@version looked up in the baseline directory, scanned as the daemon
 * does (files it would refuse are named on stderr, so a missing version is explained).
 */
async function locate(ref: string, dir: string): Promise<string> {
  if (existsSync(ref)) return ref;
  const at = ref.lastIndexOf('@');
  if (at > 0) {
    const store = new BaselineStore(dir, undefined, MAX_BASELINE_FILE_SIZE);
    const { failed, refused } = await store.reload();
    for (const refusal of refused) process.stderr.write(`warning: ${refusal.message}\n`);
    if (failed[0]) throw failed[0].error;
    const found = store.get(ref.slice(0, at), ref.slice(at + 1));
    if (found) return found.file;
    throw new DriftwatchError('BASELINE_INVALID', `no baseline ${ref} in ${path.resolve(dir)}`);
  }
  throw new DriftwatchError('BASELINE_INVALID', `${ref}: no such file (or give model@version)`);
}

async function inspect(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { dir: { type: 'string', default: 'baselines' } });
  const [ref] = positionals;
  if (ref === undefined || positionals.length > 1) {
    throw new DriftwatchError(
      'CLI_USAGE',
      `baseline inspect needs one baseline\n\n${BASELINE_USAGE}`,
    );
  }
  const file = await locate(ref, String(values.dir));
  const { parsed, hash } = await readBaselineFile(file);
  process.stdout.write(describeBaseline(parsed, hash, file));
  return 0;
}

async function validate(args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  if (positionals.length !== 1) {
    throw new DriftwatchError('CLI_USAGE', `baseline validate needs one file\n\n${BASELINE_USAGE}`);
  }
  const file = positionals[0] as string;
  const { parsed, hash } = await readBaselineFile(file);
  process.stdout.write(
    `ok: ${file} is a valid baseline (model ${parsed.model} version ${parsed.model_version}, ${Object.keys(parsed.features).length} features, baseline ${hash})\n`,
  );
  return 0;
}

async function diff(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { dir: { type: 'string', default: 'baselines' } });
  if (positionals.length !== 2) {
    throw new DriftwatchError(
      'CLI_USAGE',
      `baseline diff needs two baselines\n\n${BASELINE_USAGE}`,
    );
  }
  const dir = String(values.dir);
  const [a, b] = (await Promise.all(
    positionals.map(async (ref) => loadBaselineFile(await locate(ref, dir))),
  )) as [Baseline, Baseline];
  const rows = diffBaselines(a, b);
  const out = [
    `a: ${a.model}@${a.modelVersion} (${a.hash})  b: ${b.model}@${b.modelVersion} (${b.hash})`,
    '',
    `${'feature'.padEnd(24)}${'type'.padEnd(13)}${'PSI'.padStart(10)}  test`,
  ];
  for (const r of rows) {
    const psiText = r.psi === null ? '-' : `${r.psi.toFixed(4)}${r.psi >= 0.25 ? '*' : ' '}`;
    const test = r.test
      ? `${r.test.name === 'ks' ? 'KS D' : 'chi2'} ${r.test.statistic.toPrecision(4)}  p ${r.test.pValue.toPrecision(3)}${r.test.pValue <= 0.05 ? '*' : ''}`
      : r.kind === 'only-a' || r.kind === 'only-b'
        ? `only in ${r.kind.slice(5)}`
        : r.kind === 'mismatch'
          ? 'numeric in one, categorical in the other'
          : '-';
    out.push(`${r.feature.padEnd(24)}${r.kind.padEnd(13)}${psiText.padStart(10)}  ${test}`);
  }
  out.push('', '* = drifted at the daemon defaults (PSI >= 0.25, p <= 0.05)');
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

export async function baselineCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === 'build') return build(rest);
  if (verb === 'inspect') return inspect(rest);
  if (verb === 'validate') return validate(rest);
  if (verb === 'diff') return diff(rest);
  if (verb === 'schema') {
    process.stdout.write(`${JSON.stringify(baselineJsonSchema(), null, 2)}\n`);
    return 0;
  }
  throw unknownCommand('baseline', verb, BASELINE_USAGE);
}
