import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { artifacts, cacheDir, SCRIPTS_DIR, VERSIONS } from './paths.js';

function say(message: string): void {
  process.stderr.write(`[services] ${message}\n`);
}

/** Runs a build step with its output streamed, so a cold build shows progress. */
async function run(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', (err) => reject(new Error(`cannot run ${command}: ${err.message}`)));
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed with exit code ${code}`);
}

/** Kafka broker jars from Maven Central (via Maven, cached in ~/.m2 and the driftwatch cache). */
export async function ensureKafka(): Promise<string> {
  const libs = artifacts.kafkaLibs();
  if (existsSync(libs) && readdirSync(libs).some((f) => f.startsWith('kafka_2.13-'))) return libs;
  say(`fetching Apache Kafka ${VERSIONS.kafka} jars from Maven Central into ${libs}`);
  await run('mvn', [
    '-B',
    '-q',
    '-f',
    path.join(SCRIPTS_DIR, 'kafka', 'pom.xml'),
    'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
    '-DincludeScope=runtime',
    `-Dkafka.version=${VERSIONS.kafka}`,
    `-DoutputDirectory=${libs}`,
  ]);
  return libs;
}

/** A Go command built from the Go module proxy into `bin`'s directory, once. */
async function goInstall(what: string, pkg: string, bin: string): Promise<string> {
  if (existsSync(bin)) return bin;
  say(`building ${what} from the Go module proxy`);
  mkdirSync(cacheDir(), { recursive: true });
  await run('go', ['install', pkg], {
    cwd: cacheDir(),
    env: { GOBIN: path.dirname(bin), GOFLAGS: '-modcacherw', GOTOOLCHAIN: 'local' },
  });
  return bin;
}

/** Mailpit (SMTP + HTTP API) from the Go module proxy. */
export function ensureMailpit(): Promise<string> {
  const v = VERSIONS.mailpit;
  return goInstall(`Mailpit ${v}`, `github.com/axllent/mailpit@${v}`, artifacts.mailpit());
}

/** kubeconform, which validates deploy/kubernetes against the vendored schemas (unit tests). */
export function ensureKubeconform(): Promise<string> {
  const v = VERSIONS.kubeconform;
  return goInstall(
    `kubeconform ${v}`,
    `github.com/yannh/kubeconform/cmd/kubeconform@${v}`,
    artifacts.kubeconform(),
  );
}

/** InfluxDB OSS 2.7 built from source (Go module proxy + crates.io); slow only the first time. */
export async function ensureInfluxd(): Promise<string> {
  const bin = artifacts.influxd();
  say(
    existsSync(bin)
      ? `checking cached influxd ${VERSIONS.influxd}`
      : `building InfluxDB ${VERSIONS.influxd} from source (first time: ~10 min on 2 cores)`,
  );
  await run('bash', [path.join(SCRIPTS_DIR, 'build-influxd.sh')], {
    env: { INFLUXD_VERSION: VERSIONS.influxd },
  });
  return bin;
}

/**
 * grafana-lint (scripts/grafana-lint): Grafana's dashboard schema from grafana-foundation-sdk,
 * for the dashboard's unit test. Cached per content of its sources, so an edit rebuilds it.
 */
export async function ensureGrafanaLint(): Promise<string> {
  const dir = path.join(SCRIPTS_DIR, '..', 'grafana-lint');
  const hash = createHash('sha256');
  for (const f of ['main.go', 'go.mod', 'go.sum']) hash.update(readFileSync(path.join(dir, f)));
  const bin = path.join(
    cacheDir(),
    `grafana-lint-${hash.digest('hex').slice(0, 12)}`,
    'grafana-lint',
  );
  if (existsSync(bin)) return bin;
  say('building grafana-lint (Grafana dashboard schema) from the Go module proxy');
  await run('go', ['build', '-o', bin, '.'], {
    cwd: dir,
    env: { GOFLAGS: '-modcacherw', GOTOOLCHAIN: 'local' },
  });
  return bin;
}

/** Alertmanager from its Go module source (its web UI left out); a few minutes cold. */
export async function ensureAlertmanager(): Promise<string> {
  await run('bash', [path.join(SCRIPTS_DIR, 'build-alertmanager.sh')], {
    env: { ALERTMANAGER_VERSION: VERSIONS.alertmanager },
  });
  return artifacts.alertmanager();
}

/**
 * promtool (Prometheus's rule checker and rule unit tester) for deploy/prometheus's rules test;
 * only the command is built from the Prometheus module, niced, one package at a time.
 */
export async function ensurePromtool(): Promise<string> {
  await run('bash', [path.join(SCRIPTS_DIR, 'build-promtool.sh')], {
    env: { PROMTOOL_VERSION: VERSIONS.promtool },
  });
  return artifacts.promtool();
}

/** Everything the native services need, built in parallel where that helps. */
export async function ensureAll(): Promise<{
  kafkaLibs: string;
  influxd: string;
  mailpit: string;
}> {
  const [kafkaLibs, mailpit] = await Promise.all([ensureKafka(), ensureMailpit()]);
  const influxd = await ensureInfluxd();
  return { kafkaLibs, influxd, mailpit };
}
