import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DriftwatchError } from '../errors.js';
import { formatIssues } from '../zod-issues.js';
import { baselineHash, toBaseline, type Baseline } from './baseline.js';
import { baselineFileSchema } from './file-format.js';

/** Baselines by (model, model_version), loaded once at start-up. */
export class BaselineStore {
  private readonly byKey: Map<string, Baseline>;

  private constructor(byKey: Map<string, Baseline>) {
    this.byKey = byKey;
  }

  static key(model: string, modelVersion: string): string {
    return `${model}\u0000${modelVersion}`;
  }

  get(model: string, modelVersion: string): Baseline | undefined {
    return this.byKey.get(BaselineStore.key(model, modelVersion));
  }

  get size(): number {
    return this.byKey.size;
  }

  list(): Baseline[] {
    return [...this.byKey.values()];
  }

  /** Loads every `*.json` file under `dir` (recursively); any invalid file stops start-up. */
  static loadDir(dir: string): BaselineStore {
    const byKey = new Map<string, Baseline>();
    for (const file of listJsonFiles(dir)) {
      const baseline = loadBaselineFile(file);
      const key = BaselineStore.key(baseline.model, baseline.modelVersion);
      const previous = byKey.get(key);
      if (previous) {
        throw new DriftwatchError(
          'BASELINE_DUPLICATE',
          `two baselines for model "${baseline.model}" version "${baseline.modelVersion}": ${previous.file} and ${file}; keep one`,
        );
      }
      byKey.set(key, baseline);
    }
    return new BaselineStore(byKey);
  }
}

export function loadBaselineFile(file: string): Baseline {
  const bytes = readFileSync(file);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new DriftwatchError(
      'BASELINE_INVALID',
      `${file}: not valid JSON: ${(err as Error).message}`,
    );
  }
  const result = baselineFileSchema.safeParse(json);
  if (!result.success) {
    throw new DriftwatchError(
      'BASELINE_INVALID',
      `${file} is not a valid baseline:\n${formatIssues(result.error.issues)}`,
    );
  }
  return toBaseline(result.data, baselineHash(bytes), file);
}

function listJsonFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (err) {
    throw new DriftwatchError(
      'BASELINE_INVALID',
      `cannot read baselines.dir ${dir}: ${(err as Error).message}`,
    );
  }
  const files: string[] = [];
  for (const name of entries) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) files.push(...listJsonFiles(full));
    else if (name.endsWith('.json')) files.push(full);
  }
  return files;
}
