import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Baseline } from '../baseline/baseline.js';
import { buildBaselineFromFile } from '../baseline/build-file.js';
import { writeBaselineFile } from '../baseline/build.js';
import { diffBaselines } from '../baseline/diff.js';
import { describeBaseline } from '../baseline/inspect.js';
import { baselineJsonSchema } from '../baseline/json-schema.js';
import { MAX_BASELINE_FILE_SIZE } from '../baseline/limits.js';
import { loadBaselineFile, readBaselineFile } from '../baseline/load-file.js';
import { BaselineStore } from '../baseline/store.js';
import { DriftwatchError } from '../errors.js';
import { integer, list, printJson, required } from './args.js';
import { progressReporter } from './progress.js';

interface BuildOptions {
  input?: string;
  csv?: string;
  model: string;
  modelVersion: string;
  features?: string;
  categorical?: string;
  prediction?: string;
  exclude?: string;
  bins?: string;
  topK?: string;
  sampleSize?: string;
  out: string;
}

const DIR_OPTION = ['--dir <dir>', 'where model@version is looked up', 'baselines'] as const;

export function registerBaseline(program: Command): void {
  const group = program
    .command('baseline')
    .description('Build, inspect, compare and check baseline files.');
  group
    .command('build')
    .description(
      'Build an immutable baseline file <out>/<model>/<version>.json from training data.',
    )
    .option('--input <file>', 'training data: .csv, .jsonl or .parquet')
    .option('--csv <file>', 'the 0.1 spelling of --input')
    .addOption(required('--model <name>', 'the model name'))
    .addOption(required('--model-version <v>', 'the model version'))
    .option('--features <a,b,c>', 'the feature columns (default: all but --exclude)')
    .option('--categorical <c,d>', 'columns read as categories even when numeric')
    .option('--prediction <column>', 'the prediction column')
    .option('--exclude <x,y>', 'columns that are not features (labels, ids)')
    .option('--bins <n>', 'quantile bins of a numeric feature (default 10)')
    .option('--top-k <n>', 'categories kept per categorical feature (default 1000)')
    .option('--sample-size <n>', 'reservoir sample kept per numeric feature (default 10000)')
    .option('--out <dir>', 'the baseline directory', 'baselines')
    .action(build);
  group
    .command('inspect')
    .description(
      'Print a readable summary: per feature its type, counts, quantiles or top categories, bins.',
    )
    .argument('<baseline>', 'a file, or model@version in --dir')
    .option(...DIR_OPTION)
    .action(async (ref: string, opts: { dir: string }) => {
      const file = await locate(ref, opts.dir);
      const { parsed, hash } = await readBaselineFile(file);
      process.stdout.write(describeBaseline(parsed, hash, file));
    });
  group
    .command('diff')
    .description('Compare two baselines with PSI, KS and chi-square per feature.')
    .argument('<a>', 'a file, or model@version in --dir')
    .argument('<b>', 'a file, or model@version in --dir')
    .option(...DIR_OPTION)
    .action(diff);
  group
    .command('validate')
    .description('Check a baseline file against the format and its content hash.')
    .argument('<file>', 'the baseline file')
    .action(async (file: string) => {
      const { parsed, hash } = await readBaselineFile(file);
      process.stdout.write(
        `ok: ${file} is a valid baseline (model ${parsed.model} version ${parsed.model_version}, ${Object.keys(parsed.features).length} features, baseline ${hash})\n`,
      );
    });
  group
    .command('schema')
    .description('Print the JSON Schema of the baseline file.')
    .action(() => printJson(baselineJsonSchema()));
}

async function build(v: BuildOptions): Promise<void> {
  const input = v.input ?? v.csv;
  if (input === undefined) {
    throw new DriftwatchError('CLI_USAGE', 'baseline build needs --input');
  }
  const progress = progressReporter();
  const baseline = await buildBaselineFromFile(
    input,
    {
      model: v.model,
      modelVersion: v.modelVersion,
      bins: integer('bins', v.bins, 2),
      topK: integer('top-k', v.topK, 1),
      sampleSize: integer('sample-size', v.sampleSize, 1),
      features: list(v.features),
      categorical: list(v.categorical),
      prediction: v.prediction,
      exclude: list(v.exclude),
    },
    progress,
  );
  if (process.stderr.isTTY) process.stderr.write('\n');
  const file = writeBaselineFile(v.out, baseline);
  process.stdout.write(
    `wrote ${file} (${Object.keys(baseline.features).length} features, ${baseline.source.rows} rows, baseline ${baseline.content_sha256.slice(0, 16)})\n`,
  );
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

async function diff(refA: string, refB: string, opts: { dir: string }): Promise<void> {
  const [a, b] = (await Promise.all(
    [refA, refB].map(async (ref) => loadBaselineFile(await locate(ref, opts.dir))),
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
}
