import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { runLogged, spawnService, waitFor, type ServiceProcess } from './process.js';

const JAVA_OPTS = [
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  // Fewer JIT tiers: a faster start on 2 cores, plenty for a test broker.
  '-XX:TieredStopAtLevel=1',
  '-Djava.awt.headless=true',
];

function serverProperties(dir: string, brokerPort: number, controllerPort: number): string {
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${brokerPort}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${path.join(dir, 'data')}
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
num.partitions=1
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
`;
}

const LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = OUT
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = INFO
`;

/** KRaft single node (combined broker + controller) on 127.0.0.1 with a fresh data dir. */
export async function startKafka(opts: {
  libs: string;
  dir: string;
  brokerPort: number;
  controllerPort: number;
  detached: boolean;
}): Promise<{ brokers: string[]; proc: ServiceProcess }> {
  const brokers = [`127.0.0.1:${opts.brokerPort}`];
  const proc = await launchKafka({
    ...opts,
    name: 'kafka',
    properties: serverProperties(opts.dir, opts.brokerPort, opts.controllerPort),
    heap: '768m',
    plaintextBrokers: brokers,
  });
  return { brokers, proc };
}

/**
 * Formats a fresh data dir and starts a KRaft node with `properties`; ready once it answers on
 * `plaintextBrokers`. `formatArgs` go to the storage tool (e.g. SCRAM users: `--add-scram`).
 */
export async function launchKafka(opts: {
  name: string;
  libs: string;
  dir: string;
  properties: string;
  heap: string;
  plaintextBrokers: string[];
  formatArgs?: string[];
  detached: boolean;
}): Promise<ServiceProcess> {
  const { dir } = opts;
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const props = path.join(dir, 'server.properties');
  writeFileSync(props, opts.properties);
  writeFileSync(path.join(dir, 'log4j2.properties'), LOG4J2);
  const classpath = path.join(opts.libs, '*');
  const common = [
    '-Xms256m',
    `-Xmx${opts.heap}`,
    ...JAVA_OPTS,
    `-Dlog4j2.configurationFile=${path.join(dir, 'log4j2.properties')}`,
    '-cp',
    classpath,
  ];
  const clusterId = newClusterId();
  await runLogged(
    `${opts.name}-format`,
    'java',
    [
      ...common,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      props,
      ...(opts.formatArgs ?? []),
    ],
    { cwd: dir, logDir: dir },
  );
  const proc = await spawnService(
    opts.name,
    'java',
    [...common, `-Dkafka.logs.dir=${path.join(dir, 'logs')}`, 'kafka.Kafka', props],
    { cwd: dir, logDir: dir, detached: opts.detached },
  );
  await waitFor(`Kafka broker (${opts.name})`, () => kafkaAnswers(opts.plaintextBrokers), {
    timeoutMs: 90_000,
    proc,
  });
  return proc;
}

/** The broker is usable once it answers metadata and its group coordinator is up. */
export async function kafkaAnswers(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) return false;
    // Creates __consumer_offsets now, so the first real consumer group joins at once.
    await admin.describeGroups(['driftwatch-warmup']);
    return true;
  } finally {
    await admin.disconnect();
  }
}

/**
 * A KRaft cluster id: 16 random bytes in base64url. One in 64 starts with "-", which the
 * storage tool's argument parser takes for an option ("--cluster-id/-t: expected one
 * argument"), so those are drawn again, as Kafka's own Uuid.randomUuid does.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
