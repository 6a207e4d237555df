import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { AlertEngine } from '../../alert-engine/engine.js';
import { RulesReloader } from '../../src/rules/rules-reload.js';
import { DaemonMetrics } from '../../src/metrics.js';
import { endOf, engineOf, rule, rulesText, windowOf } from '../support/rules.js';

const SETTLE_MS = 1_000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-rules-reload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RULES = [rule({ name: 'psi-a' }), rule({ name: 'psi-b', match: { method: 'psi' } })];
const FULL = rulesText(RULES);
/** The first part of the full file: still valid YAML and a valid rules file, one rule short. */
const HALF = rulesText(RULES.slice(0, 1));

/**
 * A reloader over a real file whose waiting between reads runs the next step of a script
 * (a write, as a concurrent writer would) instead of sleeping.
 */
function setup(name: string, initial: string, steps: (() => void)[]) {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, initial);
  const engine = engineOf(RULES);
  const metrics = new DaemonMetrics(false);
  const sleeps: number[] = [];
  const reloader = new RulesReloader({
    file,
    settleMs: SETTLE_MS,
    engine,
    receivers: {
      build: () => new Map(),
      startNew: () => Promise.resolve(new Set<string>()),
      reconcile: () => Promise.resolve(),
    },
    metrics,
    logger: pino({ level: 'silent' }),
    sleep: (ms) => {
      sleeps.push(ms);
      steps.shift()?.();
      return Promise.resolve();
    },
  });
  const write = (text: string) => () => writeFileSync(file, text);
  const results = async () =>
    Object.fromEntries(
      (await metrics.rulesReloads.get()).values.map((v) => [String(v.labels.result), v.value]),
    );
  return { file, engine, reloader, sleeps, write, results };
}

/** Both rules fire on feature `amount` in window 1. */
function fire(engine: AlertEngine): void {
  const out = engine.evaluate(windowOf(1, { amount: 0.5 }));
  expect(out.transitions.map((t) => [t.rule, t.to])).toEqual([
    ['psi-a', 'firing'],
    ['psi-b', 'firing'],
  ]);
}

/** Transitions of the next window, still breaching. */
function nextWindow(engine: AlertEngine): [string, string, string | null][] {
  const out = engine.evaluate(windowOf(2, { amount: 0.5 }));
  const ticked = engine.tick(endOf(2));
  return [...out.transitions, ...ticked.transitions].map((t) => [t.rule, t.to, t.reason]);
}

describe('rules file reload', () => {
  it('a file rewritten in place, paused halfway for longer than the settle period, resolves nothing', async () => {
    // The writer truncated the file and wrote its first half; the rest comes after a pause
    // longer than one settle period, while the shorter file is being confirmed.
    const steps: (() => void)[] = [];
    const t = setup('halves', HALF, steps);
    steps.push(() => undefined, t.write(FULL));
    fire(t.engine);
    expect(await t.reloader.reload('file change')).toBe(false);
    expect(t.engine.ruleNames).toEqual(['psi-a', 'psi-b']);
    // The newer file is reloaded on its own: it settles and drops nothing.
    await t.reloader.idle();
    expect(t.engine.ruleNames).toEqual(['psi-a', 'psi-b']);
    expect(await t.results()).toEqual({ unconfirmed: 1, ok: 1 });
    expect(nextWindow(t.engine)).toEqual([]);
    expect(t.sleeps.every((ms) => ms === SETTLE_MS)).toBe(true);
  });

  it('a file still being written when first read is used only once it stopped changing', async () => {
    const steps: (() => void)[] = [];
    const t = setup('short-pause', HALF, steps);
    steps.push(t.write(FULL));
    fire(t.engine);
    expect(await t.reloader.reload('file change')).toBe(true);
    expect(t.sleeps).toEqual([SETTLE_MS, SETTLE_MS]);
    expect(await t.results()).toEqual({ ok: 1 });
    expect(nextWindow(t.engine)).toEqual([]);
  });

  it('a rule really removed is dropped after the confirming read, and its alerts resolve', async () => {
    const t = setup('removed', HALF, []);
    fire(t.engine);
    expect(await t.reloader.reload('SIGHUP')).toBe(true);
    // One settle period to settle, one more to confirm the removal.
    expect(t.sleeps).toEqual([SETTLE_MS, SETTLE_MS]);
    expect(t.engine.ruleNames).toEqual(['psi-a']);
    expect(await t.results()).toEqual({ ok: 1 });
    expect(nextWindow(t.engine)).toEqual([
      ['psi-b', 'resolved', 'rule removed from the rules file'],
    ]);
  });

  it('a rule added needs no confirming read', async () => {
    const t = setup('added', rulesText([...RULES, rule({ name: 'psi-c' })]), []);
    expect(await t.reloader.reload('SIGHUP')).toBe(true);
    expect(t.sleeps).toEqual([SETTLE_MS]);
    expect(t.engine.ruleNames).toEqual(['psi-a', 'psi-b', 'psi-c']);
  });

  it('a file that never stops changing is not used (unsettled), nor is an invalid or missing one', async () => {
    const steps: (() => void)[] = [];
    const t = setup('churning', FULL, steps);
    for (let i = 0; i < 100; i++) steps.push(t.write(`${FULL}# edit ${i}\n`));
    expect(await t.reloader.reload('file change')).toBe(false);
    expect(t.sleeps).toHaveLength(30);

    steps.length = 0;
    t.write('rules:\n  - name: broken\n    when: "value >> 1"\n')();
    expect(await t.reloader.reload('file change')).toBe(false);
    rmSync(t.file);
    expect(await t.reloader.reload('file change')).toBe(false);
    expect(t.engine.ruleNames).toEqual(['psi-a', 'psi-b']);
    expect(await t.results()).toEqual({ unsettled: 1, invalid: 2 });
  });

  it('requests made while a reload runs are served by one more reload', async () => {
    const steps: (() => void)[] = [];
    const t = setup('coalesced', FULL, steps);
    const during: Promise<boolean>[] = [];
    steps.push(() => during.push(t.reloader.reload('file change'), t.reloader.reload('SIGHUP')));
    const first = t.reloader.reload('file change');
    expect(await first).toBe(true);
    expect(during).toHaveLength(2);
    expect(during[0]).toBe(during[1]);
    expect(during[0]).not.toBe(first);
    expect(await during[0]).toBe(true);
    expect(await t.results()).toEqual({ ok: 2 });
  });
});
