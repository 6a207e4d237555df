/**
 * A live producer of the demo model's prediction logs (model "fraud" v1, the baseline in
 * baselines/examples): events stamped with the wall clock at a steady rate, feature `b`
 * shifted after --drift-after, so a running stack shows drift and alerts within minutes.
 *
 *   tsx scripts/produce.ts --brokers kafka:9092 --topic predictions [--rate 20]
 *                          [--drift-after 5m] [--shift 1.5] [--for 1h]
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../src/config/duration.js';
import { DEMO_SPEC } from './demo-spec.js';
import { toolingKafka } from './kafka-tools.js';
import { predictionLogs } from './synthetic.js';

const SEND_EVERY_MS = 250;

export interface ProducerOptions {
  brokers: string[];
  topic: string;
  /** Events per second. */
  rate: number;
  driftAfterMs: number;
  shift: number;
  /** Stop after this long; Infinity: until SIGTERM. */
  forMs: number;
}

export function producerOptions(argv: string[]): ProducerOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      brokers: { type: 'string', default: '127.0.0.1:9092' },
      topic: { type: 'string', default: 'predictions' },
      rate: { type: 'string', default: '20' },
      'drift-after': { type: 'string', default: '5m' },
      shift: { type: 'string', default: '1.5' },
      for: { type: 'string' },
    },
    strict: true,
  });
  const rate = Number(values.rate);
  const shift = Number(values.shift);
  if (!(rate > 0 && rate <= 100_000)) throw new Error(`--rate must be 1-100000 events/s`);
  if (!Number.isFinite(shift)) throw new Error('--shift must be a number');
  const duration = (name: string, text: string): number => {
    const ms = parseDuration(text);
    if (ms === undefined) throw new Error(`--${name} must be a duration such as 5m, got ${text}`);
    return ms;
  };
  return {
    brokers: values.brokers.split(','),
    topic: values.topic,
    rate,
    driftAfterMs: duration('drift-after', values['drift-after']),
    shift,
    forMs: values.for === undefined ? Infinity : duration('for', values.for),
  };
}

async function main(options: ProducerOptions): Promise<void> {
  const start = Date.now();
  const spec = {
    ...DEMO_SPEC,
    shifted: { features: ['b'], shift: options.shift, shiftFrom: start + options.driftAfterMs },
  };
  const logs = predictionLogs(spec, start, 1000 / options.rate, Number.MAX_SAFE_INTEGER);
  const producer = toolingKafka(options.brokers, 'driftwatch-producer').producer();
  await producer.connect();
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => (stopping = true));
  let sent = 0;
  let next = logs.next();
  process.stdout.write(
    `producing ${options.rate}/s of ${spec.model} v${spec.modelVersion} to ${options.topic}; b shifts by ${options.shift} at ${new Date(spec.shifted.shiftFrom).toISOString()}\n`,
  );
  while (!stopping && Date.now() - start < options.forMs) {
    const now = Date.now();
    const batch: { key: string; value: string }[] = [];
    while (!next.done && Date.parse(next.value.timestamp) <= now) {
      batch.push({ key: next.value.id, value: JSON.stringify(next.value) });
      next = logs.next();
    }
    if (batch.length > 0) {
      await producer.send({ topic: options.topic, messages: batch });
      sent += batch.length;
    }
    await new Promise((r) => setTimeout(r, SEND_EVERY_MS));
  }
  await producer.disconnect();
  process.stdout.write(`sent ${sent} prediction logs\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(producerOptions(process.argv.slice(2))).catch((err: unknown) => {
    process.stderr.write(`produce: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
