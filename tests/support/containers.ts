import type { ServiceEndpoints } from '../../scripts/services/endpoints.js';
import { INFLUX_SETUP } from '../../scripts/services/endpoints.js';
import { setupInflux } from '../../scripts/services/influx.js';
import { freePort } from '../../scripts/services/process.js';

/** True when a container runtime answers (not merely when a docker CLI exists). */
export async function dockerAnswers(): Promise<boolean> {
  try {
    // Imported lazily: without Docker the native path never touches testcontainers.
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 5_000)),
    ]);
    return true;
  } catch {
    return false;
  }
}

/** The same three services as the native path, as containers. */
export async function startWithTestcontainers(): Promise<{
  endpoints: ServiceEndpoints;
  stop: () => Promise<void>;
}> {
  const { GenericContainer, Wait } = await import('testcontainers');
  // apache/kafka advertises the listener clients must use; a fixed host port makes it known up front.
  const kafkaPort = await freePort();
  const kafka = await new GenericContainer('apache/kafka:4.1.1')
    .withExposedPorts({ container: 9092, host: kafkaPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const influx = await new GenericContainer('influxdb:2.7')
    .withExposedPorts(8086)
    .withWaitStrategy(Wait.forHttp('/health', 8086).forStatusCode(200))
    .start();
  const mailpit = await new GenericContainer('axllent/mailpit:v1.27')
    .withExposedPorts(1025, 8025)
    .withEnvironment({ MP_SMTP_AUTH_ACCEPT_ANY: 'true', MP_SMTP_AUTH_ALLOW_INSECURE: 'true' })
    .withWaitStrategy(Wait.forHttp('/readyz', 8025).forStatusCode(200))
    .start();
  const influxUrl = `http://${influx.getHost()}:${influx.getMappedPort(8086)}`;
  await setupInflux(influxUrl);
  return {
    endpoints: {
      kafkaBrokers: [`127.0.0.1:${kafkaPort}`],
      influx: {
        url: influxUrl,
        token: INFLUX_SETUP.token,
        org: INFLUX_SETUP.org,
        bucket: INFLUX_SETUP.bucket,
      },
      smtp: { host: mailpit.getHost(), port: mailpit.getMappedPort(1025) },
      mailApiUrl: `http://${mailpit.getHost()}:${mailpit.getMappedPort(8025)}`,
    },
    stop: async () => {
      await Promise.all([kafka.stop(), influx.stop(), mailpit.stop()]);
    },
  };
}
