import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DaemonProcess, writeDaemonConfig } from '../support/daemon-process.js';
import { queryDrift, waitForDriftRows } from '../support/influx.js';
import {
  BATCH,
  events,
  native,
  nested,
  nestedMapping,
  oipMessages,
  spec,
  type Event,
} from '../support/input-shapes.js';
import { createTopics, readAll, toolingKafka } from '../support/kafka.js';
import { baselineDirFor, uniqueNames } from '../support/scenario.js';

const services = inject('services');

/**
 * One daemon reads three topics, each in its own shape: the main topic (default JSON), a named
 * topic with a nested mapping and a pattern-matched two-partition topic of OIP tensors. The
 * events of one model are spread over all three, so every window merges partials of several
 * topics: its drift points must equal those of the same events on one topic.
 */
describe(`several input topics against real Kafka and InfluxDB (${inject('servicesMode')})`, () => {
  const single = uniqueNames('topics-one');
  const multi = uniqueNames('topics-many');
  const nestedTopic = `${multi.topic}-nested`;
  const oipTopic = `${multi.topic}-oip-1`;
  const kafka = toolingKafka(services.kafkaBrokers, 'driftwatch-tests');
  const daemons: DaemonProcess[] = [];

  beforeAll(async () => {
    const all = events();
    // Whole timestamp batches go to one topic (OIP rows of a message share its timestamp).
    const batches: Event[][] = [];
    for (const e of all) {
      const last = batches.at(-1);
      if (last && last.length < BATCH && (last[0] as Event).timestamp === e.timestamp) last.push(e);
      else batches.push([e]);
    }
    const spread: Event[][] = [[], [], []];
    batches.forEach((b, i) => spread[i % 3]?.push(...b));
    const [toMain, toNested, toOip] = spread as [Event[], Event[], Event[]];

    await createTopics(kafka, [single.topic, single.deadLetterTopic]);
    await createTopics(kafka, [multi.topic, multi.deadLetterTopic, nestedTopic]);
    await createTopics(kafka, [oipTopic], 2);
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic: single.topic, messages: all.map(native) });
      await producer.send({
        topic: multi.topic,
        // Garbage: dead-lettered once; a broad pattern must not read the dead letters back.
        messages: [{ value: 'not json' }, ...toMain.map(native)],
      });
      await producer.send({ topic: nestedTopic, messages: toNested.map(nested) });
      const tensors: Message[] = oipMessages(toOip).map((m, i) => ({ ...m, partition: i % 2 }));
      await producer.send({ topic: oipTopic, messages: tensors });
    } finally {
      await producer.disconnect();
    }

    const escaped = multi.topic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const baselinesDir = baselineDirFor(spec);
    const configs = [
      { names: single, extra: {} },
      {
        names: multi,
        extra: {
          input: {
            topics: [
              { topic: nestedTopic, mapping: nestedMapping },
              { pattern: `${escaped}-oip-\\d+`, mapping: { preset: 'oip-v2' } },
              // Matches every topic above and the dead-letter topic: the first entry wins,
              // and driftwatch's own topics are never input.
              { pattern: `${escaped}.*` },
            ],
          },
        },
      },
    ];
    for (const { names, extra } of configs) {
      const { file } = await writeDaemonConfig(services, {
        ...names,
        baselinesDir,
        windowSize: '1m',
        idleTimeout: '5s',
        extra,
      });
      daemons.push(new DaemonProcess(file, { INFLUX_TOKEN: services.influx.token }));
    }
  });

  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stopGracefully()));
  });

  it('merges windows across topics into the same drift points as one topic gives', async () => {
    const windows = 3;
    const features = 3;
    const [one, many] = await Promise.all(
      [single, multi].map(async (names) => {
        await waitForDriftRows(services.influx, names.measurement, windows * features);
        return queryDrift(services.influx, names.measurement, null);
      }),
    );
    expect(one?.filter((r) => r.method === 'psi')).toHaveLength(windows * features);
    expect(one?.find((r) => r.feature === 'a')?.n).toBe(600);
    expect(many).toEqual(one);
  });

  it("dead-letters a topic's garbage once, with the topic it came from", async () => {
    // Asks for two: a dead-letter topic read back as input would refuse its garbage again.
    const dead = await readAll(kafka, multi.deadLetterTopic, 2, 5_000);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.headers['driftwatch-error-code']).toBe('NOT_JSON');
    expect(dead[0]?.headers['driftwatch-source-topic']).toBe(multi.topic);
  });
});
