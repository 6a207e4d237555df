import type { Kafka, Message } from 'kafkajs';
import type { ServiceEndpoints } from '../../scripts/services/endpoints.js';
import { DaemonProcess, writeDaemonConfig } from './daemon-process.js';
import { createTopics } from './kafka.js';
import type { uniqueNames } from './scenario.js';

/** One daemon reading its own topic: its names, its extra config sections, its messages. */
export interface InputRun {
  names: ReturnType<typeof uniqueNames>;
  extra: Record<string, unknown>;
  messages: Message[];
}

/**
 * Sends each run's messages to its topic and starts a daemon on it (1-minute windows): the
 * runs of one comparison (same events in different input formats) read side by side.
 */
export async function startInputRuns(
  kafka: Kafka,
  services: ServiceEndpoints,
  baselinesDir: string,
  runs: readonly InputRun[],
): Promise<DaemonProcess[]> {
  const daemons: DaemonProcess[] = [];
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (const run of runs) {
      await createTopics(kafka, [run.names.topic, run.names.deadLetterTopic]);
      await producer.send({ topic: run.names.topic, messages: run.messages });
      const { file } = await writeDaemonConfig(services, {
        ...run.names,
        baselinesDir,
        windowSize: '1m',
        extra: run.extra,
      });
      daemons.push(new DaemonProcess(file, { INFLUX_TOKEN: services.influx.token }));
    }
  } finally {
    await producer.disconnect();
  }
  return daemons;
}
