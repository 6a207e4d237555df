import path from 'node:path';
import type { TestPki } from './certs.js';
import { SECURE_KAFKA_USERS, type SecureEndpoints } from './endpoints.js';
import { launchKafka } from './kafka.js';
import type { ServiceProcess } from './process.js';

export interface SecureKafkaPorts {
  /** SASL_SSL: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and (unsecured JWS) OAUTHBEARER. */
  saslSsl: number;
  /** SSL with client certificates required (mutual TLS, as Strimzi's tls listener). */
  mtls: number;
  /** PLAINTEXT: the broker's own traffic, test set-up, and "TLS client on a plaintext port". */
  plaintext: number;
  controller: number;
}

const LOGIN = 'org.apache.kafka.common.security';

function secureProperties(dir: string, ports: SecureKafkaPorts, pki: TestPki): string {
  const { plain } = SECURE_KAFKA_USERS;
  const at = (port: number) => `127.0.0.1:${port}`;
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${at(ports.controller)}
listeners=INTERNAL://${at(ports.plaintext)},SASL_SSL://${at(ports.saslSsl)},MTLS://${at(ports.mtls)},CONTROLLER://${at(ports.controller)}
advertised.listeners=INTERNAL://${at(ports.plaintext)},SASL_SSL://${at(ports.saslSsl)},MTLS://${at(ports.mtls)}
inter.broker.listener.name=INTERNAL
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL
ssl.keystore.type=PEM
ssl.keystore.location=${pki.serverPemFile}
ssl.truststore.type=PEM
ssl.truststore.location=${pki.caFile}
listener.name.mtls.ssl.client.auth=required
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
listener.name.sasl_ssl.plain.sasl.jaas.config=${LOGIN}.plain.PlainLoginModule required user_${plain.username}="${plain.password}";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=${LOGIN}.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${LOGIN}.scram.ScramLoginModule required;
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=${LOGIN}.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker";
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

/**
 * A second KRaft node, separate from the plain one other tests share: SASL_SSL, mutual-TLS and
 * plaintext listeners, certificates from `pki`, SCRAM users written at storage format time.
 */
export async function startSecureKafka(opts: {
  libs: string;
  dir: string;
  ports: SecureKafkaPorts;
  pki: TestPki;
  detached: boolean;
}): Promise<{ kafka: SecureEndpoints['kafka']; proc: ServiceProcess }> {
  const { scram } = SECURE_KAFKA_USERS;
  const user = `name=${scram.username},password=${scram.password}`;
  const plaintextBrokers = [`127.0.0.1:${opts.ports.plaintext}`];
  const proc = await launchKafka({
    name: 'kafka-secure',
    libs: opts.libs,
    dir: opts.dir,
    properties: secureProperties(opts.dir, opts.ports, opts.pki),
    heap: '512m',
    plaintextBrokers,
    formatArgs: [
      '--add-scram',
      `SCRAM-SHA-256=[${user}]`,
      '--add-scram',
      `SCRAM-SHA-512=[${user}]`,
    ],
    detached: opts.detached,
  });
  return {
    kafka: {
      saslSslBrokers: [`127.0.0.1:${opts.ports.saslSsl}`],
      mtlsBrokers: [`127.0.0.1:${opts.ports.mtls}`],
      plaintextBrokers,
    },
    proc,
  };
}
