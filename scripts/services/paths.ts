import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Versions of the real services and test tools; one place to change each. */
export const VERSIONS = {
  kafka: '4.1.1',
  influxd: 'v2.7.12',
  mailpit: 'v1.27.11',
  kubeconform: 'v0.8.0',
  alertmanager: 'v0.35.0',
  promtool: 'v0.316.0',
} as const;

export const SCRIPTS_DIR = path.dirname(fileURLToPath(import.meta.url));

/** Downloads and builds live outside the repository so a clean clone stays clean. */
export function cacheDir(): string {
  return process.env.DRIFTWATCH_CACHE ?? path.join(os.homedir(), '.cache', 'driftwatch');
}

export const artifacts = {
  kafkaLibs: () => path.join(cacheDir(), `kafka-${VERSIONS.kafka}`, 'libs'),
  influxd: () => path.join(cacheDir(), `influxd-${VERSIONS.influxd}`, 'bin', 'influxd'),
  mailpit: () => path.join(cacheDir(), `mailpit-${VERSIONS.mailpit}`, 'bin', 'mailpit'),
  kubeconform: () =>
    path.join(cacheDir(), `kubeconform-${VERSIONS.kubeconform}`, 'bin', 'kubeconform'),
  alertmanager: () =>
    path.join(cacheDir(), `alertmanager-${VERSIONS.alertmanager}`, 'bin', 'alertmanager'),
  promtool: () => path.join(cacheDir(), `promtool-${VERSIONS.promtool}`, 'bin', 'promtool'),
  runDir: () => path.join(cacheDir(), 'run'),
};
