import type { Config } from '../../config/schema.js';
import { createNotifier, receiverContextOf } from '../../delivery/receivers.js';
import type { LoadedRules } from '../../rules/rules-file.js';
import type { DoctorCheck } from './check.js';
import { probeEndpoint } from './endpoint.js';

/**
 * One check per receiver of the rules file: it can be built as the daemon builds it (its
 * secrets are set, an email receiver has an smtp section), and an endpoint with a URL
 * (webhook, retrain) is reachable. Email receivers go through the `smtp` check's server.
 */
export function receiverChecks(
  config: Config & { alerts: NonNullable<Config['alerts']> },
  loaded: LoadedRules,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): DoctorCheck[] {
  const ctx = receiverContextOf(config, env);
  return Object.entries(loaded.receivers).map(([name, spec]) => ({
    name: `receiver ${name}`,
    async run() {
      await createNotifier(name, spec, ctx).close();
      if ('url' in spec) return `${spec.type} ${await probeEndpoint(spec.url, timeoutMs)}`;
      return `email to ${spec.to.join(', ')} through smtp.host ${config.smtp?.host ?? '?'}`;
    },
  }));
}
