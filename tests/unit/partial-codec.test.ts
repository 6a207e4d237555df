import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Baseline } from '../../src/baseline/baseline.js';
import { DriftwatchError, type ErrorCode } from '../../src/errors.js';
import {
  decodePartial,
  decodePartialsRecord,
  encodePartial,
  encodeProgress,
  type SourceProgress,
} from '../../src/partials/codec.js';
import { Window } from '../../src/windows/window.js';
import { fraudBaseline, modelBaseline } from '../support/baselines.js';
import { uniforms } from '../support/dyadic-rng.js';
import {
  emptyWindow,
  eventsPerSource,
  partialsBaseline,
  WINDOW_END,
  windowOfAll,
  windowsPerSource,
} from '../support/partial-events.js';
import { differences, evaluateAllMethods, withoutOps } from '../support/window-points.js';

const lookupOf =
  (...baselines: Baseline[]) =>
  (model: string, version: string, hash: string) =>
    baselines.find((b) => b.model === model && b.modelVersion === version && b.hash === hash);
const lookup = lookupOf(partialsBaseline);

/** The error `run` throws (undefined when it returns). */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

function codeOf(run: () => unknown): ErrorCode | 'none' | 'untyped' {
  const error = thrown(run);
  if (error === undefined) return 'none';
  return error instanceof DriftwatchError ? error.code : 'untyped';
}

/** `bytes` with its trailing CRC-32 recomputed: corruption the checksum does not catch. */
function withChecksum(bytes: Uint8Array): Buffer {
  const out = Buffer.from(bytes);
  out.writeUInt32BE(crc32(out.subarray(0, out.length - 4)), out.length - 4);
  return out;
}

describe('partials codec', () => {
  describe('partials encoded, decoded and merged in ascending source order', () => {
    const events = eventsPerSource(2);
    const parts = windowsPerSource(events);
    const encoded = parts.map((window, source) => encodePartial(window, source));

    it('give bit-identical points to one window that received every event', () => {
      const merged = emptyWindow();
      for (const bytes of encoded) {
        const { source, window } = decodePartial(bytes, lookup);
        expect(window.baseline).toBe(partialsBaseline);
        expect(source).toBe(encoded.indexOf(bytes));
        merged.merge(window);
      }
      const whole = windowOfAll(events);
      expect([merged.events, merged.longCategories]).toEqual([whole.events, whole.longCategories]);
      expect(differences(evaluateAllMethods(whole), evaluateAllMethods(merged))).toEqual([]);
    });

    it('round-trip exactly: a decoded partial encodes to the same bytes', () => {
      encoded.forEach((bytes, source) => {
        const { window } = decodePartial(bytes, lookup);
        expect(encodePartial(window, source).equals(bytes)).toBe(true);
        const original = parts[source] as Window;
        expect([window.model, window.modelVersion, window.start, window.end]).toEqual([
          original.model,
          original.modelVersion,
          original.start,
          original.end,
        ]);
      });
    });

    it('round-trip an empty window', () => {
      const bytes = encodePartial(emptyWindow(), 9);
      const { source, window } = decodePartial(bytes, lookup);
      expect(source).toBe(9);
      expect(window.events).toBe(0);
      expect(encodePartial(window, 9).equals(bytes)).toBe(true);
    });

    it('keep the model version of the events, not of the (fallback) baseline', () => {
      const fallback = new Window(partialsBaseline, 'fraud', '3-hotfix', 0, WINDOW_END);
      fallback.add({ model: 'fraud', model_version: '3-hotfix', timestamp: 1, features: {} }, 0, 0);
      const decoded = decodePartial(encodePartial(fallback, 0), lookup).window;
      expect([decoded.modelVersion, decoded.baseline.modelVersion]).toEqual(['3-hotfix', '3']);
    });
  });

  it('writes the KS cells sparsely: 1,000 values against a 10,000-value sample take ~10 KB', () => {
    const r = uniforms(6);
    const sample = Array.from({ length: 10_000 }, () => r()).sort((a, b) => a - b);
    const baseline = fraudBaseline({
      x: {
        kind: 'numeric',
        cuts: [0.5],
        proportions: [0.5, 0.5],
        count: 10_000,
        missing: 0,
        sample,
      },
    });
    const window = new Window(baseline, 'fraud', '3', 0, WINDOW_END);
    for (let i = 0; i < 1_000; i++) {
      window.add({ model: 'fraud', model_version: '3', timestamp: i, features: { x: r() } }, 0, i);
    }
    // Dense, the 40,004 cell slots alone would take 320 KB; each touched interval costs its
    // gap, flags and count plus the 8-byte fixed-point word.
    expect(encodePartial(window, 0).length).toBeLessThan(12_000);
  });

  it('a window past its hold limit travels as listed cells, and a format 1 record of it still reads', () => {
    const r = uniforms(8);
    const sample = Array.from({ length: 100 }, () => r()).sort((a, b) => a - b);
    const baseline = fraudBaseline({
      x: { kind: 'numeric', cuts: [0.5], proportions: [0.5, 0.5], count: 100, missing: 0, sample },
    });
    const small = new Window(baseline, 'fraud', '3', 0, WINDOW_END);
    const large = new Window(baseline, 'fraud', '3', 0, WINDOW_END);
    for (let i = 0; i < 1_000; i++) {
      const x = i % 5 === 0 ? (sample[i % 100] as number) : r() * 1.2 - 0.1;
      if (i < 50)
        small.add({ model: 'fraud', model_version: '3', timestamp: i, features: { x } }, 0, i);
      large.add({ model: 'fraud', model_version: '3', timestamp: i, features: { x } }, 0, i);
    }
    const lookupHere = lookupOf(baseline);
    for (const window of [small, large]) {
      const bytes = encodePartial(window, 0);
      const decoded = decodePartial(bytes, lookupHere).window;
      expect(differences(evaluateAllMethods(window), evaluateAllMethods(decoded))).toEqual([]);
    }
    // Format 1 had only the listed-cells layout: format 3's bytes under version 1 read alike.
    const v1 = Buffer.from(encodePartial(large, 0, 3));
    v1[0] = 1;
    const fromV1 = decodePartial(withChecksum(v1), lookupHere).window;
    expect(differences(withoutOps(evaluateAllMethods(large)), evaluateAllMethods(fromV1))).toEqual(
      [],
    );
    // scale.partialsFormat 1 (a rolling upgrade): held values go as cells, readable by either.
    for (const window of [small, large]) {
      const bytes = encodePartial(window, 0, 1);
      expect(bytes[0]).toBe(1);
      const decoded = decodePartial(bytes, lookupHere).window;
      expect(
        differences(withoutOps(evaluateAllMethods(window)), evaluateAllMethods(decoded)),
      ).toEqual([]);
    }
    const v4 = Buffer.from(v1);
    v4[0] = 4;
    expect(codeOf(() => decodePartial(withChecksum(v4), lookupHere))).toBe('PARTIAL_UNREADABLE');
  });

  describe('progress records', () => {
    const records: SourceProgress[] = [
      { source: 0, watermark: -Infinity, idle: false, idleUntil: 0 },
      {
        source: 7,
        watermark: 1_767_225_600_123,
        idle: true,
        idleUntil: 1_767_225_660_000,
        idleEnd: 2 ** 40,
      },
      { source: 300, watermark: -0, idle: false, idleUntil: Infinity },
      { source: 8, watermark: 5, idle: true, idleUntil: 9, idleEnd: 0 },
    ];

    it('round-trip every field (−Infinity watermarks included)', () => {
      const decoded = decodePartialsRecord(encodeProgress(records), lookup);
      expect(decoded.kind).toBe('progress');
      const back = decoded.kind === 'progress' ? decoded.records : [];
      expect(back).toEqual(records);
      expect(Object.is(back[2]?.watermark, -0)).toBe(true);
      expect(decodePartialsRecord(encodeProgress([]), lookup)).toEqual({
        kind: 'progress',
        records: [],
      });
    });

    it('written for an older format (a rolling upgrade) carry that version and no idle end', () => {
      for (const format of [1, 2] as const) {
        const bytes = encodeProgress(records, format);
        // A release that reads only this format reads the header byte first.
        expect(bytes[0]).toBe(format);
        const decoded = decodePartialsRecord(bytes, lookup);
        const back = decoded.kind === 'progress' ? decoded.records : [];
        expect(back).toEqual(records.map(({ idleEnd: _, ...r }) => r));
      }
    });

    it('are not partials', () => {
      expect(codeOf(() => decodePartial(encodeProgress(records), lookup))).toBe(
        'PARTIAL_UNREADABLE',
      );
    });

    it('claiming more records than the bytes could hold are unreadable, nothing allocated', () => {
      // version 1, kind progress, a count of 2^40 as a varint, no records.
      const bytes = Buffer.from([1, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0, 0, 0, 0]);
      const error = thrown(() => decodePartialsRecord(withChecksum(bytes), lookup));
      expect(error).toMatchObject({ code: 'PARTIAL_UNREADABLE' });
      expect((error as Error).message).toContain('1099511627776');
    });
  });

  describe('baselines', () => {
    const bytes = encodePartial(windowsPerSource(eventsPerSource(3))[1] as Window, 1);

    it.each([
      ['no baseline at all', lookupOf()],
      ['the same model and version with another hash', lookupOf(fraudBaseline({}, 'ffff0000'))],
      ['another model', lookupOf(modelBaseline('other', '3', {}))],
    ])('a partial whose baseline is not loaded (%s) is PARTIAL_BASELINE_UNKNOWN', (_, known) => {
      const error = thrown(() => decodePartial(bytes, known));
      expect(error).toMatchObject({ code: 'PARTIAL_BASELINE_UNKNOWN' });
      for (const part of ['"fraud"', '"3"', `"${partialsBaseline.hash}"`]) {
        expect((error as Error).message).toContain(part);
      }
    });

    it('a baseline of the same identity but other features makes the partial unreadable', () => {
      const impostor = fraudBaseline({}, partialsBaseline.hash);
      expect(codeOf(() => decodePartial(bytes, lookupOf(impostor)))).toBe('PARTIAL_UNREADABLE');
    });
  });

  describe('corrupt input', () => {
    const small = emptyWindow();
    const [log] = eventsPerSource(4)[0] ?? [];
    for (let i = 0; i < 4; i++) small.add(log!, 0, i);
    small.add({ ...log!, features: { amount: 2.5, country: 'new', device: null } }, 0, 4);
    const partial = encodePartial(small, 0);
    const progress = encodeProgress([{ source: 3, watermark: 5, idle: true, idleUntil: 9 }]);

    it.each([
      ['partial', partial],
      ['progress', progress],
    ])('a %s record truncated at any byte is PARTIAL_UNREADABLE', (_, bytes) => {
      for (let length = 0; length < bytes.length; length++) {
        expect(codeOf(() => decodePartialsRecord(bytes.subarray(0, length), lookup))).toBe(
          'PARTIAL_UNREADABLE',
        );
      }
    });

    it('a flipped bit anywhere is PARTIAL_UNREADABLE (the checksum)', () => {
      for (let bit = 0; bit < 8 * partial.length; bit++) {
        const bytes = Buffer.from(partial);
        bytes[bit >> 3] = (bytes[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(codeOf(() => decodePartialsRecord(bytes, lookup))).toBe('PARTIAL_UNREADABLE');
      }
    });

    it('corruption past the checksum decodes to a usable window or a typed error, nothing else', () => {
      const r = uniforms(5);
      const codes = new Set<string>();
      for (let trial = 0; trial < 3_000; trial++) {
        const bytes = Buffer.from(trial % 2 === 0 ? partial : progress);
        for (let flips = 1 + Math.floor(r() * 3); flips > 0; flips--) {
          const at = Math.floor(r() * (bytes.length - 4));
          bytes[at] =
            trial % 3 === 0
              ? Math.floor(r() * 256)
              : (bytes[at] as number) ^ (1 << Math.floor(r() * 8));
        }
        const code = codeOf(() => {
          const decoded = decodePartialsRecord(withChecksum(bytes), lookup);
          if (decoded.kind === 'partial') evaluateAllMethods(decoded.window);
        });
        codes.add(code);
      }
      expect(
        [...codes].filter(
          (c) => !['none', 'PARTIAL_UNREADABLE', 'PARTIAL_BASELINE_UNKNOWN'].includes(c),
        ),
      ).toEqual([]);
      // Each outcome occurs: the trials reach past the header into the aggregates.
      expect(codes).toEqual(new Set(['none', 'PARTIAL_UNREADABLE', 'PARTIAL_BASELINE_UNKNOWN']));
    });
  });
});
