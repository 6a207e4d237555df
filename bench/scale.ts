/**
 * `npm run bench:scale`: does throughput grow with replicas? Produces BENCH_EVENTS prediction
 * logs (20 features, one hot model round-robin over 6 partitions, a closing event per
 * partition) to real Kafka, then on that same topic measures the bare kafkajs consumer and
 * 1, 2 and 3 daemon replicas (child processes, one fresh consumer group per N). A run is done
 * when stage 1 committed up to the closing event on every partition (a replay after a
 * rebalance is not counted twice) and stage 2 wrote every data window to InfluxDB.
 * Prints events/s, the ratio to 1 replica and to the bare consumer, the same once every replica
 * was in the group (what N replicas sustain, without the join), and peak RSS per replica.
 *
 *   BENCH_EVENTS=200000 npm run bench:scale
 *   BENCH_REPLICAS=1,2,3 BENCH_TIMEOUT=600 npm run bench:scale   # seconds per run
 */
import os from 'node:os';
import type { Admin } from 'kafkajs';
import { createTopics, toolingKafka } from '../scripts/kafka-tools.js';
import { obtainServices } from '../scripts/services/obtain.js';
import {
  bareConsumer,
  peakRssMb,
  rate,
  startBenchDaemon,
  type BenchDaemon,
  type Figures,
} from './children.js';
import { runBench, say } from './run.js';
import { benchBaselines, produceBenchLogs, windowCount } from './workload.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const PARTITIONS = 6;
const REPLICAS = (process.env.BENCH_REPLICAS ?? '1,2,3').split(',').map(Number);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT ?? 600) * 1_000;

interface ReplicaFigures extends Figures {
  replicas: number;
  /** Per replica, in start order. */
  peakRssPerReplicaMb: number[];
  /** Not done within the timeout: events/s is then what was committed by the deadline. */
  unfinished: boolean;
  /** Seconds from the first event consumed until all N replicas were in the group (null: never). */
  joinedAfter: number | null;
  /**
   * Once all N were in the group: the events committed after that moment over the seconds
   * it took. A short run is dominated by the join (work a rebalance hands to a new owner is
   * redone from the committed offset); this is the rate N replicas sustain.
   */
  joined: Figures | null;
}

/** The group is stable with `n` members (every replica has its partitions). */
async function formed(admin: Admin, groupId: string, n: number): Promise<boolean> {
  const { groups } = await admin.describeGroups([groupId]);
  return groups[0]?.state === 'Stable' && groups[0].members.length === n;
}

/** Messages the group has committed, summed over partitions (a partition never committed: 0). */
async function committed(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

/** Windows written to InfluxDB, summed over the replicas. */
async function emitted(daemons: BenchDaemon[]): Promise<number> {
  const counts = await Promise.all(
    daemons.map((d) => d.metric('driftwatch_windows_emitted_total')),
  );
  return counts.reduce((a, b) => a + b, 0);
}

async function replicas(
  services: Awaited<ReturnType<typeof obtainServices>>['endpoints'],
  admin: Admin,
  topic: string,
  baselines: string,
  n: number,
): Promise<ReplicaFigures> {
  const groupId = `bench-scale-${n}-${Date.now()}`;
  // Each partition's closing event stays in an open window: done = committed up to it, and
  // every window before it evaluated and written (stage 2 of some replica).
  const target = EVENTS;
  const windows = windowCount(EVENTS);
  const daemons = await Promise.all(
    Array.from({ length: n }, () => startBenchDaemon(services, { topic, groupId, baselines })),
  );
  let firstAt = 0;
  let lastAt = 0;
  let done = 0;
  let joinedAt = 0;
  let committedAtJoin = 0;
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (firstAt === 0) {
      const consumed = await Promise.all(daemons.map((d) => d.consumed()));
      if (consumed.some((c) => c > 0)) firstAt = performance.now();
    } else {
      // Replicas start together, but the first to join starts reading before the others are
      // in: the table shows how long that took, since a short run is dominated by it.
      if (joinedAt === 0 && (await formed(admin, groupId, n))) {
        joinedAt = performance.now();
        committedAtJoin = await committed(admin, groupId, topic);
      }
      done = await committed(admin, groupId, topic);
      if (done >= target && (await emitted(daemons)) >= windows) {
        lastAt = performance.now();
        break;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const unfinished = lastAt === 0;
  if (unfinished) lastAt = performance.now();
  const peaks = daemons.map((d) => peakRssMb(d.child.pid));
  await Promise.all(daemons.map((d) => d.stop()));
  return {
    replicas: n,
    events: unfinished ? done : EVENTS,
    seconds: firstAt === 0 ? Infinity : (lastAt - firstAt) / 1000,
    peakRssMb: Math.max(...peaks),
    peakRssPerReplicaMb: peaks,
    unfinished,
    joinedAfter: joinedAt === 0 ? null : (joinedAt - firstAt) / 1000,
    joined:
      joinedAt === 0 || unfinished
        ? null
        : {
            events: EVENTS - committedAtJoin,
            seconds: (lastAt - joinedAt) / 1000,
            peakRssMb: Math.max(...peaks),
          },
  };
}

async function main(): Promise<void> {
  const { endpoints, source } = await obtainServices();
  say(`services: ${source}`);
  const topic = `bench-scale-${Date.now().toString(36)}`;
  const kafka = toolingKafka(endpoints.kafkaBrokers, 'bench');
  await createTopics(kafka, [topic, `${topic}.dlq`], PARTITIONS);
  const baselines = benchBaselines();
  say(`producing ${EVENTS} prediction logs (20 features) round-robin to ${PARTITIONS} partitions…`);
  const bytes = await produceBenchLogs(kafka, topic, EVENTS, PARTITIONS);
  say(`  ${bytes.toFixed(0)} bytes per event on average`);

  say('bare kafkajs consumer + JSON.parse …');
  const bare = await bareConsumer(endpoints.kafkaBrokers, topic, EVENTS + PARTITIONS);
  const admin = kafka.admin();
  await admin.connect();
  const runs: ReplicaFigures[] = [];
  try {
    for (const n of REPLICAS) {
      say(`${n} replica(s), one consumer group …`);
      runs.push(await replicas(endpoints, admin, topic, baselines, n));
    }
  } finally {
    await admin.disconnect();
  }

  const one = runs.find((r) => r.replicas === 1 && !r.unfinished);
  const evs = (f: Figures | null) =>
    (f === null ? '—' : Math.round(rate(f)).toLocaleString('en-US')).padStart(10);
  const oneJoined = one?.joined ?? null;
  const times = (x: number | undefined) => (x === undefined ? '—' : `${x.toFixed(2)}x`).padStart(9);
  const out = [
    `\nscale-out, ${EVENTS.toLocaleString('en-US')} events x 20 features, ${PARTITIONS} partitions, node ${process.version}, ${os.cpus().length} cores`,
    `${''.padEnd(26)}${'events/s'.padStart(10)}${'seconds'.padStart(10)}${'vs 1'.padStart(9)}${'vs bare'.padStart(9)}  all in group after${'then ev/s'.padStart(11)}${'vs 1'.padStart(9)}  peak RSS per replica (MB)`,
    `${'kafkajs + JSON.parse'.padEnd(26)}${evs(bare)}${bare.seconds.toFixed(2).padStart(10)}${times(undefined)}${times(1)}  ${''.padEnd(18)}${''.padEnd(20)}  ${bare.peakRssMb.toFixed(0)}`,
    ...runs.map((r) => {
      const name = `${r.replicas} replica${r.replicas === 1 ? '' : 's'}${r.unfinished ? ' (NOT DONE)' : ''}`;
      const joinedVsOne = r.joined && oneJoined ? rate(r.joined) / rate(oneJoined) : undefined;
      return `${name.padEnd(26)}${evs(r)}${r.seconds.toFixed(2).padStart(10)}${times(one ? rate(r) / rate(one) : undefined)}${times(rate(r) / rate(bare))}  ${(r.joinedAfter === null ? 'not seen' : `${r.joinedAfter.toFixed(2)} s`).padEnd(18)}${evs(r.joined).padStart(11)}${times(joinedVsOne)}  ${r.peakRssPerReplicaMb.map((m) => m.toFixed(0)).join(' / ')}`;
    }),
  ];
  const unfinished = runs.filter((r) => r.unfinished);
  if (unfinished.length > 0) {
    out.push(
      `NOT DONE: ${unfinished.map((r) => `${r.replicas} replicas committed ${r.events.toLocaleString('en-US')} of ${EVENTS.toLocaleString('en-US')} events`).join('; ')} within BENCH_TIMEOUT=${TIMEOUT_MS / 1000}s (their events/s is what was committed by then)`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

runBench(main);
