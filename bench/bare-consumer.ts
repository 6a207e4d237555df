/**
 * The baseline of the throughput benchmark: a kafkajs consumer that does nothing but
 * JSON.parse each message. Prints one JSON line with its figures.
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';

const [brokers, topic, expectedText] = process.argv.slice(2);
const expected = Number(expectedText);
const kafka = new Kafka({
  clientId: 'bench-bare',
  brokers: (brokers ?? '').split(','),
  logLevel: logLevel.NOTHING,
});
const consumer = kafka.consumer({ groupId: `bench-bare-${Date.now()}` });
let count = 0;
let parsedFields = 0;
let firstAt = 0;
let lastAt = 0;

await consumer.connect();
await consumer.subscribe({ topic: topic ?? '', fromBeginning: true });
const done = new Promise<void>((resolve) => {
  void consumer.run({
    eachBatch: ({ batch }) => {
      if (firstAt === 0) firstAt = performance.now();
      for (const message of batch.messages) {
        const parsed = JSON.parse(message.value?.toString('utf8') ?? 'null') as Record<
          string,
          unknown
        > | null;
        if (parsed) parsedFields += Object.keys(parsed).length;
        count++;
      }
      if (count >= expected) {
        lastAt = performance.now();
        resolve();
      }
      return Promise.resolve();
    },
  });
});
await done;
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
await consumer.disconnect();
process.stdout.write(
  `${JSON.stringify({ events: count, seconds: (lastAt - firstAt) / 1000, peakRssMb: Number(hwm?.[1] ?? 0) / 1024, parsedFields })}\n`,
);
