import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogs, type SyntheticSpec } from '../../scripts/synthetic.js';
import type { DaemonProcess } from '../support/daemon-process.js';
import { startInputRuns } from '../support/input-runs.js';
import { queryDrift, waitForDriftRows } from '../support/influx.js';
import { readAll, toolingKafka } from '../support/kafka.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const MINUTE = 60_000;
/** OIP rows of one message share its timestamp: events come in batches of this many. */
const BATCH = 4;

const spec: SyntheticSpec = {
  model: 'fraud',
  modelVersion: '3',
  numericFeatures: ['a', 'b'],
  shifted: { features: ['b'], shift: 1.5, shiftFrom: T0 + 2 * MINUTE },
  seed: 7,
};

interface Event {
  timestamp: number;
  id: string;
  features: { a: number; b: number; country: string };
  prediction: number;
}

/** 1,800 events over three 1-minute windows, then one that moves the watermark past them. */
function events(): Event[] {
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

const native = (e: Event): Message => ({
  value: JSON.stringify({ model: 'fraud', model_version: '3', ...e }),
});

/** A team's own shape: nested, names and values as lists, µs timestamps, version in a header. */
const nested = (e: Event): Message => ({
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
const nestedMapping = {
  model: 'meta.service.model',
  version: { header: 'model-version' },
  timestamp: { path: '/meta/ts_us', unit: 'us' },
  id: '/meta/rid',
  features: { names: '/payload/cols', values: '/payload/vals' },
  prediction: '/out/p',
};

/** Open Inference Protocol pairs, one message per batch of rows. */
function oip(batch: Event[]): Message {
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

function oipMessages(all: Event[]): Message[] {
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

describe(`input formats against real Kafka and InfluxDB (${inject('servicesMode')})`, () => {
  const runs = {
    native: {
      names: uniqueNames('in-native'),
      input: undefined as unknown,
      messages: [] as Message[],
    },
    nested: {
      names: uniqueNames('in-nested'),
      input: { mapping: nestedMapping },
      messages: [] as Message[],
    },
    oip: {
      names: uniqueNames('in-oip'),
      input: { mapping: { preset: 'oip-v2' } },
      messages: [] as Message[],
    },
  };
  const daemons: DaemonProcess[] = [];
  const kafka = toolingKafka(services.kafkaBrokers, 'driftwatch-tests');
  const baselinesDir = baselineDirFor(spec);

  beforeAll(async () => {
    const all = events();
    runs.native.messages = all.map(native);
    runs.nested.messages = [
      ...all.slice(0, 900).map(nested),
      // Does not match the mapping: dead-lettered with the code, naming the path.
      {
        value: JSON.stringify({ meta: { service: { model: 'fraud' }, ts_us: 'now' } }),
        headers: { 'model-version': '3' },
      },
      ...all.slice(900).map(nested),
    ];
    const tensors = oipMessages(all);
    const mismatched = JSON.parse(String(tensors[0]?.value)) as {
      request: { inputs: { data: unknown[] }[] };
    };
    (mismatched.request.inputs[0] as { data: unknown[] }).data.push(1);
    runs.oip.messages = [
      ...tensors.slice(0, 100),
      { value: JSON.stringify(mismatched) },
      ...tensors.slice(100),
    ];
    daemons.push(
      ...(await startInputRuns(
        kafka,
        services,
        baselinesDir,
        Object.values(runs).map((run) => ({
          ...run,
          extra: run.input === undefined ? {} : { input: run.input },
        })),
      )),
    );
  });

  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stopGracefully()));
  });

  it('writes the same drift points from a nested custom shape and from OIP tensors as from the default shape', async () => {
    const windows = 3;
    const features = 3;
    const rows = await Promise.all(
      Object.values(runs).map(async ({ names }) => {
        await waitForDriftRows(services.influx, names.measurement, windows * features);
        // Rows carry every tag and field but the measurement: all must agree.
        return queryDrift(services.influx, names.measurement, null);
      }),
    );
    const [nativeRows, nestedRows, oipRows] = rows;
    expect(nativeRows?.filter((r) => r.method === 'psi')).toHaveLength(windows * features);
    expect(new Set(nativeRows?.map((r) => r.time)).size).toBe(windows);
    expect(nativeRows?.find((r) => r.feature === 'a')?.n).toBe(600);
    expect(nestedRows).toEqual(nativeRows);
    expect(oipRows).toEqual(nativeRows);
  });

  it('dead-letters what does not match the mapping, with a code naming the problem', async () => {
    const [nestedDead] = await readAll(kafka, runs.nested.names.deadLetterTopic, 1);
    expect(nestedDead?.headers['driftwatch-error-code']).toBe('BAD_TIMESTAMP');
    expect(nestedDead?.headers['driftwatch-error-reason']).toContain('/meta/ts_us');
    const [oipDead] = await readAll(kafka, runs.oip.names.deadLetterTopic, 1);
    expect(oipDead?.headers['driftwatch-error-code']).toBe('OIP_SHAPE_MISMATCH');
  });
});
