import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBaseline, writeBaselineFile } from '../../src/baseline/build.js';
import { trainingColumns, type SyntheticSpec } from '../../scripts/synthetic.js';

/** Unique names per test run, so tests never see each other's topics, groups or series. */
export function uniqueNames(prefix: string) {
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  return {
    topic: `${prefix}-${suffix}`,
    deadLetterTopic: `${prefix}-${suffix}.dlq`,
    groupId: `driftwatch-${prefix}-${suffix}`,
    measurement: `drift_${prefix.replace(/-/g, '_')}_${suffix}`,
  };
}

/** A baselines dir holding one baseline built from synthetic training data of `spec`. */
export function baselineDirFor(spec: SyntheticSpec, rows = 20_000): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-baselines-'));
  addBaselineFor(dir, spec, rows);
  return dir;
}

/** Writes the baseline of `spec` into an existing baselines dir (a new model version, say). */
export function addBaselineFor(dir: string, spec: SyntheticSpec, rows = 20_000): void {
  const columns = trainingColumns(spec, rows);
  writeBaselineFile(
    dir,
    buildBaseline(columns, {
      model: spec.model,
      modelVersion: spec.modelVersion,
      sourceFile: 'synthetic',
    }),
  );
}
