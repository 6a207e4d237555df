/**
 * `npm run bench:alerts`: the cost of alerting per window, in process (no services): the rule
 * engine over many models × features × methods, with a share of series drifting, and the
 * serialisation of its alert-log records. Prints points/s, µs per window and the records
 * written per window — figures, not assertions.
 *
 *   BENCH_MODELS=200 BENCH_FEATURES=50 BENCH_WINDOWS=50 npm run bench:alerts
 */
import { AlertEngine } from '../alert-engine/engine.js';
import type { DriftObservation } from '../alert-engine/model.js';
import { alertLogMessages } from '../src/alerting/alert-log.js';
import { checkRulesText, compileRules } from '../src/rules/rules-file.js';
import { rng } from '../scripts/synthetic.js';

const MODELS = Number(process.env.BENCH_MODELS ?? 100);
const FEATURES = Number(process.env.BENCH_FEATURES ?? 50);
const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 50);
const METHODS = ['psi', 'ks', 'chi_square'];
const WINDOW_MS = 300_000;
const say = (s: string) => process.stdout.write(`${s}\n`);

const RULES = `
receivers:
  oncall: { type: email, to: [oncall@example.com] }
  hooks: { type: webhook, url: "https://hooks.example.com/drift" }
  training: { type: retrain, url: "https://training.example.com/runs", min_severity: warning, min_drifted_features: 3 }
rules:
  - { name: psi, match: { method: psi }, when: "value > 0.25", recover_threshold: 0.1, for: 2, receivers: [oncall, hooks, training], stale_after: 1h }
  - { name: ks, when: "p_value < 0.001", for: 2, receivers: [oncall, hooks] }
  - { name: dataset, when: "drift_share >= 0.5", receivers: [oncall] }
  - { name: missing, when: "missing_share > 0.2", receivers: [oncall] }
  - { name: unseen, match: { method: chi_square }, when: "value > 1000", receivers: [hooks] }
`;

function windowPoints(w: number, random: () => number): DriftObservation[] {
  const out: DriftObservation[] = [];
  const windowStart = Date.parse('2026-01-01T00:00:00Z') + w * WINDOW_MS;
  const windowEnd = windowStart + WINDOW_MS;
  for (let m = 0; m < MODELS; m++) {
    // A tenth of the models drift in the middle third of the run, on a fifth of their features.
    const drifting = m % 10 === 0 && w >= WINDOWS / 3 && w < (2 * WINDOWS) / 3;
    for (let f = 0; f < FEATURES; f++) {
      const shifted = drifting && f % 5 === 0;
      const base = {
        model: `model-${m}`,
        modelVersion: '1',
        feature: `f${f}`,
        window: '5m',
        baseline: 'b',
        windowStart,
        windowEnd,
        status: 'ok',
        threshold: null,
        drifted: shifted,
        n: 1_000,
        missing: Math.floor(random() * 20),
        unseen: null,
        pValue: null,
        adjustedPValue: null,
        correction: null,
      };
      for (const method of METHODS) {
        const statistic = shifted ? 0.5 + random() : random() * 0.05;
        const p = method === 'psi' ? null : shifted ? 1e-8 : 0.2 + random() * 0.8;
        out.push({ ...base, method, statistic, pValue: p, adjustedPValue: p });
      }
      out.push({ ...base, method: 'summary', statistic: null });
    }
    out.push({
      ...out[out.length - 1]!,
      feature: '_dataset',
      method: 'drift_share',
      statistic: drifting ? 0.2 : 0,
      n: FEATURES,
    });
  }
  return out;
}

const checked = checkRulesText(RULES);
if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
const { rules, policies } = compileRules('bench-rules.yaml', checked.value);
const engine = new AlertEngine(rules, policies, {
  dashboardUrl: 'https://grafana/d/x?m={{model}}',
});
const random = rng(7);

const heapBefore = process.memoryUsage().heapUsed;
let points = 0;
let records = 0;
let notifications = 0;
let bytes = 0;
let elapsed = 0n;
for (let w = 0; w < WINDOWS; w++) {
  const window = windowPoints(w, random);
  points += window.length;
  const started = process.hrtime.bigint();
  const out = engine.evaluate(window);
  const ticked = engine.tick(window[0]?.windowEnd ?? 0);
  const messages = alertLogMessages(
    [...out.notifications, ...ticked.notifications],
    engine.takeChanges(),
  );
  records += messages.length;
  notifications += out.notifications.length + ticked.notifications.length;
  for (const m of messages) bytes += typeof m.value === 'string' ? m.value.length : 0;
  elapsed += process.hrtime.bigint() - started;
}
const seconds = Number(elapsed) / 1e9;
globalThis.gc?.();

say(
  `alert rules over ${MODELS} models × ${FEATURES} features × ${METHODS.length} methods (+ summary, dataset)`,
);
say(`  ${rules.length} rules, ${WINDOWS} windows, ${points.toLocaleString()} points`);
say(
  `  ${(points / seconds / 1e6).toFixed(2)} M points/s evaluated (incl. alert-log serialisation)`,
);
say(`  ${((seconds / WINDOWS) * 1e3).toFixed(1)} ms per window of all ${MODELS} models`);
say(
  `  ${(records / WINDOWS).toFixed(0)} alert-log records per window (${(bytes / WINDOWS / 1024).toFixed(0)} KiB), ${notifications} notifications in all`,
);
say(
  `  engine heap ≈ ${((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toFixed(1)} MiB after the run (${engine.ruleCount} rules; run with node --expose-gc for a settled figure)`,
);
