/**
 * `npm run bench:baselines`: building a training baseline from a 1,000,000-row × 20-column CSV
 * with the real CLI (`driftwatch baseline build`), against pandas + numpy computing the same
 * quantiles and category counts from the same file in the same run. Prints a table, the 2× goal
 * with PASS/MISS, a check that both sides computed the same numbers, and — when we miss the
 * goal — a CPU profile of the build summarised by where the time goes.
 *
 *   npm run bench:baselines
 *   BENCH_ROWS=200000 npm run bench:baselines      # another row count (its own cached file)
 *   BENCH_CPU_PROF=/tmp/prof npm run bench:baselines # always profile, keep the .cpuprofile
 *   BENCH_CPU_PROF=0 npm run bench:baselines         # never profile
 *
 * The CSV is generated once, deterministically (seeded PRNG), and cached as
 * $DRIFTWATCH_CACHE/bench/train-1m-20.csv (default ~/.cache/driftwatch): 16 float columns
 * (normal and log-normal, 6 significant digits, 1–4% empty cells), 3 categorical columns
 * (20 country codes with 1% empty, 200 product codes, true/false) and an integer column.
 *
 * driftwatch runs as a child process, `node --import tsx src/cli/main.ts baseline build`, so its
 * peak RSS is its own (process.resourceUsage().maxRSS, printed by a preloaded exit hook); its
 * progress lines (one per 10% when stderr is not a terminal) are forwarded with their times and
 * split the run into start-up (measured by `driftwatch help`, the fastest of three runs, since
 * a loaded machine can double one), streaming and finishing. pandas runs bench/baselines_pandas.py
 * (Python from $DRIFTWATCH_PYTHON, else ~/.cache/driftwatch/pyref/bin/python), which times
 * pd.read_csv and the statistics separately. One run each, the file in the page cache for both.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { uniform53 } from '../scripts/sfc32.js';

const ROOT = path.join(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'src', 'cli', 'main.ts');
const say = (s: string) => process.stderr.write(`${s}\n`);

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const GOAL = 2; // driftwatch within 2× of pandas
const PROFILE = process.env.BENCH_CPU_PROF;
const CACHE = process.env.DRIFTWATCH_CACHE ?? path.join(os.homedir(), '.cache', 'driftwatch');
const PYREF = path.join(os.homedir(), '.cache', 'driftwatch', 'pyref', 'bin', 'python');
const PYREF_HINT =
  'python3 -m venv ~/.cache/driftwatch/pyref && ~/.cache/driftwatch/pyref/bin/pip install pandas==3.1.1 numpy==2.4.6';

// ---------------------------------------------------------------------------------------------
// The training file: sfc32 → 53-bit uniforms → Box–Muller normals, as bench/detectors.ts.

const NUMERIC_COLUMNS = 16;
// No "NA" (Namibia): pandas and driftwatch both read it as missing.
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'JP', 'CN', 'IN', 'BR', 'CA', 'AU'].concat([
  'IT',
  'ES',
  'MX',
  'KR',
  'NL',
  'SE',
  'CH',
  'PL',
  'BE',
  'AT',
]);
const PRODUCTS = Array.from({ length: 200 }, (_, i) => `SKU${String(i + 1).padStart(3, '0')}`);

/** Draws an index with probability proportional to `weights`. */
function picker(weights: readonly number[], u: () => number): () => number {
  const cumulative: number[] = [];
  let sum = 0;
  for (const w of weights) cumulative.push((sum += w));
  return () => {
    const x = u() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x < cumulative[mid]!) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

function generateCsv(file: string, rows: number): void {
  const u = uniform53(20_000_001);
  let spare: number | undefined;
  const normal = () => {
    if (spare !== undefined) {
      const z = spare;
      spare = undefined;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const t = 2 * Math.PI * u();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
  const country = picker(
    COUNTRIES.map((_, i) => 1 / (i + 1)),
    u,
  );
  const product = picker(
    PRODUCTS.map((_, i) => 1 / (i + 1) ** 0.8),
    u,
  );
  // Column j: scale 0.01 … 100, centred at (j − 7.5)·scale; every fourth log-normal (skewed);
  // 1–4% empty cells.
  const numeric = Array.from({ length: NUMERIC_COLUMNS }, (_, j) => {
    const scale = 10 ** ((j % 5) - 2);
    const centre = (j - 7.5) * scale;
    const missing = (1 + (j % 4)) / 100;
    const logNormal = j % 4 === 3;
    return () => {
      if (u() < missing) return '';
      const z = normal();
      return (logNormal ? scale * Math.exp(0.8 * z) : centre + scale * z).toPrecision(6);
    };
  });
  const header = [
    ...numeric.map((_, j) => `num_${String(j + 1).padStart(2, '0')}`),
    'country',
    'product',
    'is_member',
    'age',
  ];
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, `${header.join(',')}\n`);
    const chunk: string[] = [];
    for (let i = 0; i < rows; i++) {
      const cells = numeric.map((cell) => cell());
      cells.push(
        u() < 0.01 ? '' : COUNTRIES[country()]!,
        PRODUCTS[product()]!,
        u() < 0.35 ? 'true' : 'false',
        String(Math.min(90, Math.max(18, Math.round(40 + 13 * normal())))),
      );
      chunk.push(cells.join(','));
      if (chunk.length === 20_000 || i === rows - 1) {
        writeSync(fd, `${chunk.join('\n')}\n`);
        chunk.length = 0;
      }
    }
    closeSync(fd);
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
}

function trainingFile(): string {
  const label = ROWS % 1_000_000 === 0 ? `${ROWS / 1_000_000}m` : String(ROWS);
  const file = path.join(CACHE, 'bench', `train-${label}-20.csv`);
  if (!existsSync(file)) {
    say(`generating ${file} (${ROWS.toLocaleString('en-US')} rows × 20 columns, once) …`);
    const t0 = performance.now();
    generateCsv(file, ROWS);
    say(`  done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return file;
}

// ---------------------------------------------------------------------------------------------
// The driftwatch side: the CLI in a child process.

/** Preloaded into the child: its peak RSS (KB) on stderr as it exits (the CLI calls exit()). */
const RSS_HOOK = `data:text/javascript,${encodeURIComponent(
  `process.on('exit', () => process.stderr.write('bench-max-rss-kb ' + process.resourceUsage().maxRSS + '\\n'));`,
)}`;

interface Progress {
  seconds: number;
  rows: number;
}

interface ChildRun {
  seconds: number;
  maxRssKb: number | undefined;
  progress: Progress[];
  stdout: string;
}

/** Runs `node --import tsx src/cli/main.ts …args`, timing it and collecting its progress lines. */
function runCli(args: string[], nodeFlags: string[] = [], forward = false): Promise<ChildRun> {
  const flags = ['--import', 'tsx', '--import', RSS_HOOK, ...nodeFlags, CLI, ...args];
  const t0 = performance.now();
  const child = spawn(process.execPath, flags, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: ChildRun = { seconds: 0, maxRssKb: undefined, progress: [], stdout: '' };
  const errors: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (s: string) => (run.stdout += s));
  createInterface({ input: child.stderr }).on('line', (line) => {
    const seconds = (performance.now() - t0) / 1000;
    const rss = /^bench-max-rss-kb (\d+)$/.exec(line);
    if (rss) {
      run.maxRssKb = Number(rss[1]);
      return;
    }
    const progress = /^progress: \d+% \((\d+) rows\)$/.exec(line);
    if (progress) run.progress.push({ seconds, rows: Number(progress[1]) });
    else errors.push(line);
    if (forward) say(`  ${seconds.toFixed(2).padStart(6)} s  ${line}`);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      run.seconds = (performance.now() - t0) / 1000;
      if (code === 0) resolve(run);
      else
        reject(
          new Error(`driftwatch exited with ${code ?? signal}:\n${errors.slice(-20).join('\n')}`),
        );
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The pandas side.

interface PyNumeric {
  kind: 'numeric';
  count: number;
  missing: number;
  deciles: number[];
  quantiles: number[];
  mean: number;
  std: number;
  min: number;
  max: number;
}
interface PyCategorical {
  kind: 'categorical';
  count: number;
  missing: number;
  counts: Record<string, number>;
}
interface PyOutput {
  python: string;
  numpy: string;
  pandas: string;
  rows: number;
  dtypes: Record<string, string>;
  seconds: { import: number; read: number; compute: number };
  max_rss_kb: number;
  results: Record<string, PyNumeric | PyCategorical>;
}

function findPython(): { python: string } | { missing: string } {
  const candidate = process.env.DRIFTWATCH_PYTHON ?? PYREF;
  if (!process.env.DRIFTWATCH_PYTHON && !existsSync(PYREF)) {
    return { missing: `no $DRIFTWATCH_PYTHON and no ${PYREF}` };
  }
  const probe = spawnSync(candidate, ['-c', 'import numpy, pandas'], { encoding: 'utf8' });
  if (probe.error) return { missing: `${candidate}: ${probe.error.message}` };
  if (probe.status !== 0) return { missing: `${candidate} cannot import numpy and pandas` };
  return { python: candidate };
}

function runPandas(python: string, csv: string): { out: PyOutput; seconds: number } {
  const t0 = performance.now();
  const child = spawnSync(python, [path.join(ROOT, 'bench', 'baselines_pandas.py'), csv], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (child.status !== 0)
    throw new Error(`pandas side failed (exit ${child.status ?? child.signal})`);
  return { out: JSON.parse(child.stdout) as PyOutput, seconds };
}

// ---------------------------------------------------------------------------------------------
// Agreement: the baseline file against pandas' numbers.

interface BaselineFeature {
  kind: 'numeric' | 'categorical';
  count: number;
  missing: number;
  summary?: { mean: number; std: number; min: number; max: number };
  quantiles?: { q: number; value: number }[];
  cuts?: number[];
  counts?: Record<string, number>;
  other?: number;
}

function relative(a: number, b: number, scale = 0): number {
  return a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), scale);
}

/** Lines saying how far the baseline's numbers are from pandas'. */
function agreement(
  features: Record<string, BaselineFeature>,
  py: Record<string, PyNumeric | PyCategorical>,
): { lines: string[]; ok: boolean } {
  const off: string[] = [];
  const worst = { quantile: [0, ''], moment: [0, ''] } as Record<string, [number, string]>;
  const note = (what: 'quantile' | 'moment', name: string, rel: number, tolerance: number) => {
    if (rel > worst[what]![0]) worst[what] = [rel, name];
    if (!(rel <= tolerance)) off.push(`${name}: relative difference ${rel.toExponential(2)}`);
  };
  let categories = 0;
  let countsDiffer = false;
  for (const [name, theirs] of Object.entries(py)) {
    const ours = features[name];
    if (!ours || ours.kind !== theirs.kind) {
      off.push(`${name}: ${ours?.kind ?? 'absent'} in the baseline, ${theirs.kind} in pandas`);
      continue;
    }
    if (ours.count !== theirs.count || ours.missing !== theirs.missing) {
      countsDiffer = true;
      off.push(
        `${name}: count/missing ${ours.count}/${ours.missing} vs pandas ${theirs.count}/${theirs.missing}`,
      );
    }
    if (theirs.kind === 'numeric') {
      const quantiles = ours.quantiles ?? [];
      quantiles.forEach(({ q, value }, i) =>
        note('quantile', `${name} q${q}`, relative(value, theirs.quantiles[i]!), 1e-12),
      );
      // Cuts are the deciles with ties collapsed (an integer column can repeat one).
      const deciles = theirs.deciles.filter((x, i, all) => i === 0 || x > all[i - 1]!);
      const cuts = ours.cuts ?? [];
      if (cuts.length === deciles.length) {
        cuts.forEach((c, i) =>
          note('quantile', `${name} cut ${i + 1}`, relative(c, deciles[i]!), 1e-12),
        );
      } else
        off.push(`${name}: ${cuts.length} cuts, pandas has ${deciles.length} distinct deciles`);
      const s = ours.summary;
      if (s) {
        note('quantile', `${name} min`, relative(s.min, theirs.min), 0);
        note('quantile', `${name} max`, relative(s.max, theirs.max), 0);
        // Summation order differs (Welford here, pairwise in numpy): relative to the spread.
        note('moment', `${name} mean`, relative(s.mean, theirs.mean, theirs.std), 1e-12);
        note('moment', `${name} std`, relative(s.std, theirs.std), 1e-12);
      }
    } else {
      const counts = ours.counts ?? {};
      const keys = new Set([...Object.keys(counts), ...Object.keys(theirs.counts)]);
      for (const key of keys) {
        categories++;
        if (counts[key] !== theirs.counts[key]) {
          countsDiffer = true;
          off.push(`${name}="${key}": ${counts[key] ?? 0} vs pandas ${theirs.counts[key] ?? 0}`);
        }
      }
      if ((ours.other ?? 0) !== 0) off.push(`${name}: ${ours.other} pooled as other`);
    }
  }
  const show = ([rel, name]: [number, string]) =>
    `${rel.toExponential(1)}${name ? ` (${name})` : ''}`;
  const lines = [
    `agreement with pandas: ${Object.keys(py).length} columns; quantiles, cuts, min/max largest relative difference ${show(worst.quantile!)}; mean/std ${show(worst.moment!)} (mean relative to max(|mean|, std)); counts/missing and ${categories} category counts ${countsDiffer ? 'DIFFER' : 'all equal'}`,
  ];
  if (off.length > 0) lines.push(`DIFFERENCES:\n  ${off.slice(0, 20).join('\n  ')}`);
  return { lines, ok: off.length === 0 };
}

// ---------------------------------------------------------------------------------------------
// CPU profile summary.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Who a frame belongs to, or undefined for node internals and V8 builtins. */
function areaOf(frame: ProfileNode['callFrame']): string | undefined {
  const url = frame.url;
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1] === 'csv-parse' ? 'csv-parse (parsing)' : `${pkg[1]} (dependency)`;
  if (url.includes('/src/baseline/input/'))
    return 'driftwatch CSV reader (fields, numbers from bytes)';
  if (url.includes('/src/baseline/cell.ts')) return 'driftwatch interpretCell (NA/number/bool)';
  if (url.includes('/src/baseline/column-profile.ts')) return 'driftwatch ColumnProfile.add';
  if (url.includes('/src/baseline/')) return `driftwatch ${path.basename(url)}`;
  if (url.includes('/detectors/')) return 'detectors (sort, quantiles, bins)';
  if (url.startsWith('file://') && url.includes(ROOT)) return `driftwatch ${path.basename(url)}`;
  return undefined;
}

/** A frame's place: package-relative for dependencies, repo-relative for ours (tsx strips the
 * line structure of .ts files, so their line numbers mean nothing and are left out). */
function shortUrl(url: string, line: number): string {
  const dep = url.lastIndexOf('/node_modules/');
  if (dep >= 0) return `${url.slice(dep + '/node_modules/'.length)}:${line + 1}`;
  const root = url.indexOf(ROOT);
  if (root >= 0) return url.slice(root + ROOT.length + 1);
  return `${url}:${line + 1}`;
}

interface ProfileSummary {
  totalMs: number;
  byArea: [string, number][];
  topSelf: [string, number][];
}

/**
 * Self time per function, and time per "area": each sample goes to the nearest frame on its
 * stack that belongs to a package or to our code (so Buffer and string builtins called by
 * csv-parse count as csv-parse); samples with none are node internals, GC or idle.
 */
function summariseProfile(file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const areaCache = new Map<number, string>();
  const areaFor = (id: number): string => {
    const cached = areaCache.get(id);
    if (cached) return cached;
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    let area = areaOf(node.callFrame);
    if (!area) {
      const up = parent.get(id);
      if (name === '(garbage collector)') area = 'garbage collection';
      else if (name === '(idle)') area = 'idle (waiting for I/O)';
      else if (name === '(program)') area = 'V8/native, no JS frame';
      else if (up === undefined || byId.get(up)!.callFrame.functionName === '(root)')
        area = 'node internals (streams, fs, module loading)';
      else area = areaFor(up);
    }
    areaCache.set(id, area);
    return area;
  };
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    totalMs += ms;
    const f = byId.get(id)!.callFrame;
    const where = f.url ? ` ${shortUrl(f.url, f.lineNumber)}` : '';
    const key = `${f.functionName || '(anonymous)'}${where}`;
    self.set(key, (self.get(key) ?? 0) + ms);
    const area = areaFor(id);
    areas.set(area, (areas.get(area) ?? 0) + ms);
  });
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { totalMs, byArea: sorted(areas), topSelf: sorted(self).slice(0, 15) };
}

// ---------------------------------------------------------------------------------------------
// Output.

const fmtS = (s: number) => `${s.toFixed(2)} s`;
const fmtMB = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const fmtRate = (rowsPerSecond: number) => `${(rowsPerSecond / 1e3).toFixed(0)} k rows/s`;
const fmtRatio = (r: number) => `${r.toFixed(2)}×`;

function table(rows: string[][]): string[] {
  const header = ['what', 'driftwatch', 'pandas', 'ratio'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

async function main(): Promise<void> {
  if (!Number.isInteger(ROWS) || ROWS < 1) throw new Error(`BENCH_ROWS must be a positive integer`);
  const t0 = performance.now();
  const csv = trainingFile();
  const bytes = statSync(csv).size;
  say(`input ${csv}: ${(bytes / 1e6).toFixed(1)} MB, ${ROWS.toLocaleString('en-US')} rows`);
  // Both sides then read it from the page cache.
  readFileSync(csv);

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-baselines-'));
  try {
    // ------------------------------------------------------------------------------------------
    const found = findPython();
    let py: { out: PyOutput; seconds: number } | undefined;
    let pyNote = '';
    if ('missing' in found) {
      pyNote = `pandas comparison skipped (${found.missing}); to get it:\n  ${PYREF_HINT}\n  (or point $DRIFTWATCH_PYTHON at a python with pandas and numpy)`;
    } else {
      say(`pandas (${found.python}) …`);
      py = runPandas(found.python, csv);
      if (py.out.rows !== ROWS)
        throw new Error(`pandas read ${py.out.rows} rows, expected ${ROWS}`);
    }

    // ------------------------------------------------------------------------------------------
    say('driftwatch start-up (node + tsx + the CLI modules, `driftwatch help`, fastest of 3) …');
    // The fastest of three: on a busy machine one start-up can take twice as long, and what
    // is subtracted from the build must not be inflated by a moment's load (the build, one
    // run, keeps whatever load it meets, so the difference errs on driftwatch's side).
    let startup = Infinity;
    for (let i = 0; i < 3; i++) startup = Math.min(startup, (await runCli(['help'])).seconds);
    say('driftwatch baseline build …');
    const buildArgs = (out: string) => [
      'baseline',
      'build',
      '--input',
      csv,
      '--model',
      'bench',
      '--model-version',
      '1',
      '--out',
      out,
    ];
    const dw = await runCli(buildArgs(path.join(tmp, 'baselines')), [], true);
    const written = /^wrote (.+?) \(/.exec(dw.stdout)?.[1];
    if (!written) throw new Error(`no "wrote" line from the CLI: ${dw.stdout}`);
    const baseline = JSON.parse(readFileSync(written, 'utf8')) as {
      source: { rows: number };
      features: Record<string, BaselineFeature>;
    };
    if (baseline.source.rows !== ROWS) {
      throw new Error(`the baseline has ${baseline.source.rows} rows, expected ${ROWS}`);
    }
    const first = dw.progress[0];
    const last = dw.progress[dw.progress.length - 1];
    if (!first || !last) throw new Error('no progress lines from the CLI');

    // ------------------------------------------------------------------------------------------
    const build = dw.seconds - startup; // the work after the modules are loaded
    // The CLI prints a line per 10% of the bytes read (or per 5 s): the last one comes with the
    // last batch, or a little before it when the reader reads ahead.
    const reading = last.seconds - startup; // open, SHA-256, parse, interpret, accumulate
    const finishing = dw.seconds - last.seconds; // sort, statistics, validation, JSON write
    const split =
      last.rows === ROWS ? '' : ` (approximate: the last progress line came at ${last.rows} rows)`;
    const pyWork = py ? py.out.seconds.read + py.out.seconds.compute : undefined;
    const ratio = pyWork === undefined ? undefined : build / pyWork;
    const cell = (ours: number, theirs: number | undefined, fmt: (x: number) => string) => [
      fmt(ours),
      theirs === undefined ? '—' : fmt(theirs),
      theirs === undefined ? '—' : fmtRatio(ours / theirs),
    ];
    const rows = [
      ['end to end: process start → exit', ...cell(dw.seconds, py?.seconds, fmtS)],
      ['  start-up: runtime and imports', ...cell(startup, py?.out.seconds.import, fmtS)],
      ['  work after start-up (the goal)', ...cell(build, pyWork, fmtS)],
      ['    reading: parse, convert (dw: + count)', ...cell(reading, py?.out.seconds.read, fmtS)],
      ['    statistics (dw: + check, write)', ...cell(finishing, py?.out.seconds.compute, fmtS)],
      [
        'rows/s of the work',
        fmtRate(ROWS / build),
        pyWork === undefined ? '—' : fmtRate(ROWS / pyWork),
        pyWork === undefined ? '—' : fmtRatio(ROWS / build / (ROWS / pyWork)),
      ],
      [
        'peak RSS',
        ...(dw.maxRssKb === undefined
          ? ['?', py ? fmtMB(py.out.max_rss_kb) : '—', '—']
          : cell(dw.maxRssKb, py?.out.max_rss_kb, fmtMB)),
      ],
    ];

    const out: string[] = [];
    const cpu = os.cpus()[0]?.model ?? '?';
    out.push(
      `\nbaselines bench, node ${process.version}, ${cpu}, ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)}` +
        (py ? `; python ${py.out.python}, pandas ${py.out.pandas}, numpy ${py.out.numpy}` : ''),
    );
    out.push(
      `input: ${csv} (${(bytes / 1e6).toFixed(1)} MB, ${ROWS.toLocaleString('en-US')} rows × 20 columns: 16 float, 3 categorical, 1 integer)`,
    );
    out.push(
      'one run each, file in the page cache; ratio = driftwatch / pandas (time, memory: > 1 = driftwatch slower/larger; rows/s: < 1 = slower)\n',
    );
    out.push(...table(rows));
    out.push('');
    out.push(
      `driftwatch: \`driftwatch baseline build\` via tsx; its start-up is measured by \`driftwatch help\` (the fastest of 3 runs) and subtracted for "work after start-up";`,
      `  ${dw.progress.length} progress lines on stderr, the first after ${fmtS(first.seconds)} (${first.rows.toLocaleString('en-US')} rows), the last at ${fmtS(last.seconds)}${split}; streaming after the first batch ${fmtRate((last.rows - first.rows) / (last.seconds - first.seconds))}`,
    );
    if (py) {
      out.push(
        `pandas: pd.read_csv (C parser, one thread) ${fmtS(py.out.seconds.read)}, then np.quantile ×16 quantiles, mean/std/min/max, value_counts ${fmtS(py.out.seconds.compute)}`,
      );
    }

    let verdict = '';
    if (ratio !== undefined) {
      const pass = ratio <= GOAL;
      verdict = `goal: work after start-up within ${GOAL}× of pandas' read_csv + statistics — ${fmtRatio(ratio)} → ${pass ? 'PASS' : 'MISS'}`;
      out.push('', verdict);
    }

    if (py) {
      const check = agreement(baseline.features, py.out.results);
      out.push(...check.lines);
      if (!check.ok) process.exitCode = 1;
    } else out.push('', pyNote);

    // ------------------------------------------------------------------------------------------
    const wantProfile =
      PROFILE !== undefined && PROFILE !== ''
        ? PROFILE !== '0'
        : ratio !== undefined && ratio > GOAL;
    if (wantProfile) {
      const dir = PROFILE && PROFILE !== '0' && PROFILE !== '1' ? PROFILE : path.join(tmp, 'prof');
      mkdirSync(dir, { recursive: true });
      say('profiling the build (node --cpu-prof) …');
      const before = new Set(readdirSync(dir));
      const profiled = await runCli(buildArgs(path.join(tmp, 'baselines-prof')), [
        '--cpu-prof',
        '--cpu-prof-dir',
        dir,
      ]);
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile') && !before.has(f));
      if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
      const summary = summariseProfile(path.join(dir, file));
      const share = (ms: number) => `${((100 * ms) / summary.totalMs).toFixed(1).padStart(5)}%`;
      out.push(
        '',
        `CPU profile of the build (${fmtS(profiled.seconds)} under the profiler, ${fmtS(summary.totalMs / 1000)} sampled${PROFILE && PROFILE !== '1' ? `; ${path.join(dir, file)}` : ''}):`,
        '  by area (each sample goes to the nearest package or driftwatch frame on its stack):',
        ...summary.byArea
          .slice(0, 10)
          .map(([area, ms]) => `    ${share(ms)}  ${fmtS(ms / 1000).padStart(8)}  ${area}`),
        '  top self time (function, file):',
        ...summary.topSelf.map(
          ([fn, ms]) => `    ${share(ms)}  ${fmtS(ms / 1000).padStart(8)}  ${fn}`,
        ),
      );
      // The profiled run's shares applied to the unprofiled build time.
      const top = summary.byArea.filter(([area]) => !area.startsWith('idle')).slice(0, 3);
      const estimate = (ms: number) => fmtS((ms / summary.totalMs) * dw.seconds);
      out.push(
        '',
        `what limits us: ${top.map(([area, ms]) => `${area} ${share(ms).trim()} (~${estimate(ms)})`).join(', ')} of the ${fmtS(dw.seconds)} run` +
          (py
            ? `; pandas' whole read_csv takes ${fmtS(py.out.seconds.read)} for the same bytes (a C tokenizer converting straight into float64 arrays).`
            : '.'),
      );
    }
    out.push(`(whole run ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
