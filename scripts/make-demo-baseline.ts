/** Regenerates baselines/examples/fraud/1.json, the baseline the demo and docker-compose use. */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { buildBaseline, writeBaselineFile } from '../src/baseline/build.js';
import { DEMO_SPEC } from './demo-spec.js';
import { trainingColumns } from './synthetic.js';

const dir = path.join(import.meta.dirname, '..', 'baselines', 'examples');
rmSync(path.join(dir, DEMO_SPEC.model, `${DEMO_SPEC.modelVersion}.json`), { force: true });
const baseline = buildBaseline(trainingColumns(DEMO_SPEC, 50_000), {
  model: DEMO_SPEC.model,
  modelVersion: DEMO_SPEC.modelVersion,
  sourceFile: 'synthetic training data (scripts/make-demo-baseline.ts)',
  createdAt: new Date('2026-11-01T00:00:00.000Z'),
});
process.stdout.write(`wrote ${writeBaselineFile(dir, baseline)}\n`);
