import type { Config } from '../../config/schema.js';
import { loadRulesFile } from '../../rules/rules-file.js';
import type { DoctorCheck } from './check.js';
import { influxCheck } from './influx.js';
import { kafkaCheck } from './kafka.js';
import { receiverChecks } from './receivers.js';
import { smtpCheck } from './smtp.js';

/**
 * Every service the config names, in the order `doctor` prints them. A new kind of service
 * (a Schema Registry under `input`, say) adds its check here: a `DoctorCheck` whose `run`
 * resolves with what it found and rejects with why, naming the config key.
 */
export function doctorChecks(
  config: Config,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): DoctorCheck[] {
  const checks = [kafkaCheck(config, timeoutMs), influxCheck(config, timeoutMs)];
  if (config.smtp) checks.push(smtpCheck(config.smtp, config, timeoutMs));
  const alerts = config.alerts;
  if (alerts) {
    let loaded;
    try {
      loaded = loadRulesFile(alerts.rules);
    } catch (err) {
      const failure = err instanceof Error ? err : new Error(String(err));
      checks.push({ name: 'rules', run: () => Promise.reject(failure) });
    }
    if (loaded) checks.push(...receiverChecks({ ...config, alerts }, loaded, env, timeoutMs));
  }
  return checks;
}
