/**
 * The scale-out data set: a deterministic (seeded) stream of prediction logs on a 6-partition
 * topic, shaped so that several replicas have to cooperate on every window.
 *
 * - model `hot` fills EVERY partition (explicit partition round-robin): no replica sees all of
 *   one of its windows, so only a merge of per-partition partials gives its results;
 * - models `alpha`, `beta`, `gamma` are keyed by model name (one partition each);
 * - numeric `a` is rounded to quarters (many ties, for KS and the histogram edges), numeric `b`
 *   has full-precision values and some missing ones (so summary mean/std expose any change
 *   in the order values are combined), categorical `segment`;
 * - event times span 8 windows of 4 s in the past (nothing waits on the wall clock); a closer
 *   two windows later on every partition moves each partition past the end of window 8;
 * - `alpha.a` is shifted in windows 3–5 and `hot.b` in windows 6–7, so alert rules fire and
 *   resolve.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Message } from 'kafkajs';
import { buildBaseline, writeBaselineFile } from '../../src/baseline/build.js';
import { uniform53 } from '../../scripts/sfc32.js';

export const SCALE_PARTITIONS = 6;
export const SCALE_WINDOW = '4s';
export const SCALE_WINDOW_MS = 4_000;
export const SCALE_WINDOWS = 8;
/** Window-aligned and well in the past: windows close on event time alone. */
export const SCALE_T0 = Date.parse('2026-10-01T00:00:00.000Z');

interface ModelShape {
  model: string;
  version: string;
  perWindow: number;
  /** Explicit round-robin over every partition instead of a key. */
  hot: boolean;
  /** Feature shifted by +1.5 in windows [from, to] (1-based, inclusive). */
  shift?: { feature: 'a' | 'b'; from: number; to: number };
}

export const SCALE_MODELS: readonly ModelShape[] = [
  {
    model: 'hot',
    version: '1',
    perWindow: 600,
    hot: true,
    shift: { feature: 'b', from: 6, to: 7 },
  },
  {
    model: 'alpha',
    version: '2',
    perWindow: 150,
    hot: false,
    shift: { feature: 'a', from: 3, to: 5 },
  },
  { model: 'beta', version: '1', perWindow: 150, hot: false },
  { model: 'gamma', version: '3', perWindow: 120, hot: false },
];

const SEGMENTS = ['retail', 'smb', 'enterprise', 'public'] as const;

function normal(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function featureRow(random: () => number, shiftA: number, shiftB: number) {
  const a = Math.round((normal(random) + shiftA) * 4) / 4;
  const b = random() < 0.05 ? null : normal(random) * 3.7 + 12.25 + shiftB;
  const segment = SEGMENTS[Math.floor(random() ** 1.6 * SEGMENTS.length)] ?? 'retail';
  return { a, b, segment };
}

/** A baselines dir with one baseline per model, from unshifted training rows. */
export function scaleBaselinesDir(rows = 5_000): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-scale-baselines-'));
  SCALE_MODELS.forEach((m, i) => {
    const random = uniform53(0x5ca1e + i);
    const training = Array.from({ length: rows }, () => featureRow(random, 0, 0));
    writeBaselineFile(
      dir,
      buildBaseline(
        {
          a: training.map((r) => r.a),
          b: training.map((r) => r.b),
          segment: training.map((r) => r.segment),
        },
        { model: m.model, modelVersion: m.version, sourceFile: 'synthetic' },
      ),
    );
  });
  return dir;
}

/**
 * Every event of the 8 windows in event-time order (so each partition's log is in time order),
 * as Kafka messages; the same every call.
 */
export function scaleEvents(seed = 2026): Message[] {
  const events: { t: number; model: number; message: Message }[] = [];
  SCALE_MODELS.forEach((m, index) => {
    const random = uniform53(seed * 31 + index);
    const step = SCALE_WINDOW_MS / m.perWindow;
    for (let w = 1; w <= SCALE_WINDOWS; w++) {
      const shifted = m.shift !== undefined && w >= m.shift.from && w <= m.shift.to;
      for (let i = 0; i < m.perWindow; i++) {
        const t = SCALE_T0 + (w - 1) * SCALE_WINDOW_MS + Math.floor(i * step);
        const row = featureRow(
          random,
          shifted && m.shift?.feature === 'a' ? 1.5 : 0,
          shifted && m.shift?.feature === 'b' ? 1.5 * 3.7 : 0,
        );
        const value = JSON.stringify({
          model: m.model,
          model_version: m.version,
          timestamp: new Date(t).toISOString(),
          id: `${m.model}-${w}-${i}`,
          features: row,
        });
        events.push({ t, model: index, message: { key: m.model, value } });
      }
    }
  });
  // Stable: ties keep model order, so the partition sequence below is fixed.
  events.sort((x, y) => x.t - y.t || x.model - y.model);
  let hot = 0;
  return events.map(({ model, message }) => {
    if (!SCALE_MODELS[model]?.hot) return message;
    return { value: message.value, partition: hot++ % SCALE_PARTITIONS };
  });
}

/** One event per partition two windows after the data: every partition's clock passes window 8. */
export function scaleClosers(): Message[] {
  const t = SCALE_T0 + (SCALE_WINDOWS + 2) * SCALE_WINDOW_MS;
  return Array.from({ length: SCALE_PARTITIONS }, (_, partition) => ({
    partition,
    value: JSON.stringify({
      model: 'hot',
      model_version: '1',
      timestamp: new Date(t).toISOString(),
      features: {},
    }),
  }));
}

/** The events split into `count` bursts in event-time order, the closers after the last one. */
export function scaleBursts(count: number): Message[][] {
  const events = scaleEvents();
  const size = Math.ceil(events.length / count);
  const bursts = Array.from({ length: count }, (_, i) => events.slice(i * size, (i + 1) * size));
  bursts[count - 1]?.push(...scaleClosers());
  return bursts;
}
