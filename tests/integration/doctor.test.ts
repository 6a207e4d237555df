import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { cliAsync } from '../support/cli.js';
import { testKafka } from '../support/kafka.js';
import { uniqueNames } from '../support/scenario.js';
import { SECURE_KAFKA_USERS, secureServices } from '../support/secure-services.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const services = inject('services');
const SECRET = 'whsec_c2VjcmV0LWZvci1kb2N0b3ItdGVzdHMtMDAwMDAw';

/** `doctor`'s lines as { check name: [status, detail] }. */
function linesOf(stdout: string): Record<string, [string, string]> {
  const out: Record<string, [string, string]> = {};
  for (const line of stdout.trimEnd().split('\n')) {
    const m = /^(ok|failed)\s+(.+?)\s{2,}(.*)$/.exec(line);
    if (!m) throw new Error(`not a doctor line: ${line}`);
    out[m[2] as string] = [m[1] as string, m[3] as string];
  }
  return out;
}

interface Setup {
  brokers?: string[];
  kafka?: Record<string, unknown>;
  influxUrl?: string;
  smtpPort?: number;
  webhookUrl: string;
}

describe(`driftwatch doctor (${inject('servicesMode')})`, () => {
  const names = uniqueNames('doctor');
  const receiver = new WebhookReceiver();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-doctor-'));
  mkdirSync(path.join(dir, 'baselines'));
  const env = { DOCTOR_INFLUX_TOKEN: services.influx.token, HOOK_SECRET: SECRET };

  /** A config and rules file: an email, a webhook and a retrain receiver. */
  function configFile(name: string, s: Setup): string {
    const rules = path.join(dir, `${name}.rules.yaml`);
    writeFileSync(
      rules,
      stringify({
        receivers: {
          oncall: { type: 'email', to: ['oncall@example.com'] },
          hooks: { type: 'webhook', url: s.webhookUrl, secret_env: 'HOOK_SECRET' },
          training: { type: 'retrain', url: s.webhookUrl.replace('/hooks', '/retrain') },
        },
        rules: [{ name: 'psi', when: 'value > 0.2', receivers: ['oncall', 'hooks', 'training'] }],
      }),
    );
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      stringify({
        kafka: {
          brokers: s.brokers ?? services.kafkaBrokers,
          topic: names.topic,
          deadLetterTopic: names.deadLetterTopic,
          ...s.kafka,
        },
        influx: {
          url: s.influxUrl ?? services.influx.url,
          org: services.influx.org,
          bucket: services.influx.bucket,
          tokenEnv: 'DOCTOR_INFLUX_TOKEN',
        },
        baselines: { dir: 'baselines' },
        smtp: {
          host: services.smtp.host,
          port: s.smtpPort ?? services.smtp.port,
          from: 'driftwatch <driftwatch@example.com>',
        },
        alerts: { rules },
      }),
    );
    return file;
  }

  beforeAll(async () => {
    const { producer } = await testKafka(services.kafkaBrokers, [
      names.topic,
      names.deadLetterTopic,
    ]);
    await producer.disconnect();
    await receiver.start();
  });

  afterAll(async () => {
    await receiver.stop();
  });

  it('reports every service ok, exit 0, without sending a receiver anything', async () => {
    const file = configFile('ok', { webhookUrl: receiver.url('/hooks') });
    const result = await cliAsync(['doctor', '--config', file], env);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const lines = linesOf(result.stdout);
    expect(Object.keys(lines)).toEqual([
      'kafka',
      'influx',
      'smtp',
      'receiver oncall',
      'receiver hooks',
      'receiver training',
    ]);
    for (const [status] of Object.values(lines)) expect(status).toBe('ok');
    expect(lines.kafka?.[1]).toContain(`${names.topic} (1 partition)`);
    expect(lines.influx?.[1]).toContain('the token may write');
    expect(receiver.requests).toEqual([]);
  });

  it('names each failure on its own line, exit 1: wrong ports, a bad InfluxDB token', async () => {
    const file = configFile('failing', {
      brokers: ['127.0.0.1:1'],
      smtpPort: 1,
      webhookUrl: 'http://127.0.0.1:1/hooks',
    });
    const result = await cliAsync(['doctor', '--config', file, '--timeout', '2'], {
      ...env,
      DOCTOR_INFLUX_TOKEN: 'not-the-token',
    });
    expect(result.status, result.stdout + result.stderr).toBe(1);
    const lines = linesOf(result.stdout);
    expect(lines.kafka).toEqual(['failed', expect.stringContaining('KAFKA_CONNECT_FAILED')]);
    expect(lines.kafka?.[1]).toContain('kafka.brokers 127.0.0.1:1');
    expect(lines.influx).toEqual(['failed', expect.stringContaining('refused the token')]);
    expect(lines.influx?.[1]).toContain('DOCTOR_INFLUX_TOKEN');
    expect(lines.smtp).toEqual(['failed', expect.stringContaining('smtp.port 1')]);
    expect(lines['receiver hooks']).toEqual(['failed', expect.stringContaining('ECONNREFUSED')]);
    expect(lines['receiver oncall']?.[0]).toBe('ok');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('finds a token that may read the bucket but not write to it', async () => {
    const headers = {
      Authorization: `Token ${services.influx.token}`,
      'Content-Type': 'application/json',
    };
    const lookup = await fetch(
      `${services.influx.url}/api/v2/buckets?name=${services.influx.bucket}&org=${services.influx.org}`,
      { headers },
    );
    const bucket = ((await lookup.json()) as { buckets: { id: string; orgID: string }[] })
      .buckets[0] as { id: string; orgID: string };
    const created = await fetch(`${services.influx.url}/api/v2/authorizations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        orgID: bucket.orgID,
        description: `doctor test ${names.topic}`,
        permissions: [
          { action: 'read', resource: { type: 'buckets', id: bucket.id, orgID: bucket.orgID } },
        ],
      }),
    });
    expect(created.status).toBe(201);
    const readOnly = ((await created.json()) as { token: string }).token;
    const file = configFile('read-only', { webhookUrl: receiver.url('/hooks') });
    const result = await cliAsync(['doctor', '--config', file], {
      ...env,
      DOCTOR_INFLUX_TOKEN: readOnly,
    });
    expect(result.status).toBe(1);
    expect(linesOf(result.stdout).influx).toEqual([
      'failed',
      expect.stringContaining(`may not write to influx.bucket ${services.influx.bucket}`),
    ]);
  });

  it('connects to a SASL_SSL broker with the security settings of the config', async () => {
    const secure = secureServices();
    const { scram } = SECURE_KAFKA_USERS;
    const secureEnv = { ...env, RIGHT: scram.password, WRONG: 'not-the-password' };
    const doctorWith = async (name: string, passwordEnv: string) => {
      const file = configFile(name, {
        brokers: secure.kafka.saslSslBrokers,
        kafka: {
          ssl: { caFile: secure.pki.caFile },
          sasl: { mechanism: 'scram-sha-512', username: scram.username, passwordEnv },
        },
        webhookUrl: receiver.url('/hooks'),
      });
      return linesOf((await cliAsync(['doctor', '--config', file], secureEnv)).stdout);
    };
    const good = await doctorWith('secure', 'RIGHT');
    // Logged in: the only possible complaint left is that the test topics are not there.
    expect(good.kafka?.[1]).not.toContain('KAFKA_AUTH_FAILED');
    expect(good.kafka?.[1]).toMatch(/broker|KAFKA_TOPIC_MISSING/);
    const bad = await doctorWith('secure-bad', 'WRONG');
    expect(bad.kafka).toEqual(['failed', expect.stringContaining('KAFKA_AUTH_FAILED')]);
  });
});
