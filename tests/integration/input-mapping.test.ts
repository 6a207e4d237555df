import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  events,
  native,
  nested,
  nestedMapping,
  oipMessages,
  spec,
} from '../support/input-shapes.js';
import type { DaemonProcess } from '../support/daemon-process.js';
import { startInputRuns } from '../support/input-runs.js';
import { queryDrift, waitForDriftRows } from '../support/influx.js';
import { readAll, toolingKafka } from '../support/kafka.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');
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
