import type { Message } from 'kafkajs';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';

/**
 * One stream of prediction events in three shapes (the default JSON, a team's nested shape
 * with its mapping, and Open Inference Protocol tensors): the same events in any of them must
 * give the same drift points.
 */
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');
export const MINUTE = 60_000;
/** OIP rows of one message share its timestamp: events come in batches of this many. */
export const BATCH = 4;

export const spec: SyntheticSpec = {
  model: 'fraud',
  modelVersion: '3',
  numericFeatures: ['a', 'b'],
  shifted: { features: ['b'], shift: 1.5, shiftFrom: T0 + 2 * MINUTE },
  seed: 7,
};

export interface Event {
  timestamp: number;
  id: string;
  features: { a: number; b: number; country: string };
  prediction: number;
}

/** 1,800 events over three 1-minute windows, then one that moves the watermark past them. */
export function events(): Event[] {
  const out = [...predictionLogs(spec, T0, 100, 1_800)].map((l, i) => ({
    timestamp: T0 + Math.floor(i / BATCH) * BATCH * 100,
    id: l.id,
    features: l.features as Event['features'],
    prediction: l.prediction,
  }));
  out.push({
    timestamp: T0 + 3 * MINUTE + 1,
    id: 'last',
    features: { a: 0, b: 0, country: 'DE' },
    prediction: 0.5,
  });
  return out;
}

export const native = (e: Event): Message => ({
  value: JSON.stringify({ model: 'fraud', model_version: '3', ...e }),
});

/** A team's own shape: nested, names and values as lists, µs timestamps, version in a header. */
export const nested = (e: Event): Message => ({
  value: JSON.stringify({
    meta: { service: { model: 'fraud' }, ts_us: e.timestamp * 1000, rid: e.id },
    payload: {
      cols: ['a', 'b', 'country'],
      vals: [e.features.a, e.features.b, e.features.country],
    },
    out: { p: e.prediction },
  }),
  headers: { 'model-version': '3' },
});
export const nestedMapping = {
  model: 'meta.service.model',
  version: { header: 'model-version' },
  timestamp: { path: '/meta/ts_us', unit: 'us' },
  id: '/meta/rid',
  features: { names: '/payload/cols', values: '/payload/vals' },
  prediction: '/out/p',
};

/** Open Inference Protocol pairs, one message per batch of rows. */
export function oip(batch: Event[]): Message {
  const col = <T>(f: (e: Event) => T) => batch.map(f);
  const first = batch[0] as Event;
  return {
    value: JSON.stringify({
      request: {
        id: first.id,
        inputs: [
          { name: 'a', shape: [batch.length], datatype: 'FP64', data: col((e) => e.features.a) },
          {
            name: 'b',
            shape: [batch.length, 1],
            datatype: 'FP64',
            data: col((e) => [e.features.b]),
          },
          {
            name: 'country',
            shape: [batch.length],
            datatype: 'BYTES',
            data: col((e) => e.features.country),
          },
        ],
      },
      response: {
        model_name: 'fraud',
        model_version: '3',
        id: first.id,
        outputs: [
          {
            name: 'prediction',
            shape: [batch.length],
            datatype: 'FP64',
            data: col((e) => e.prediction),
          },
        ],
      },
      timestamp: new Date(first.timestamp).toISOString(),
    }),
  };
}

export function oipMessages(all: Event[]): Message[] {
  const out: Message[] = [];
  let batch: Event[] = [];
  for (const e of all) {
    if (
      batch.length > 0 &&
      (batch.length === BATCH || (batch[0] as Event).timestamp !== e.timestamp)
    ) {
      out.push(oip(batch));
      batch = [];
    }
    batch.push(e);
  }
  out.push(oip(batch));
  return out;
}
