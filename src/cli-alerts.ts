import type { ParseArgsConfig } from 'node:util';
import { pino } from 'pino';
import { alertTopicsFor } from './alerting/alert-log.js';
import {
  backtest,
  backtestJson,
  formatBacktest,
  readDriftObservations,
  type DriftRange,
} from './tools/backtest.js';
import { replayNotifications } from './tools/replay.js';
import { loadRulesFile } from './rules/rules-file.js';
import { rulesJsonSchema } from './rules/rules-schema.js';
import { loadConfig } from './config/load.js';
import { createKafkaClient } from './kafka/client.js';
import { influxTargetOf } from './sinks/influx-client.js';
import { checkKafkaAccess, reachKafka } from './kafka/reach.js';
import { parseCommandArgs, unknownCommand } from './cli-args.js';
import { DriftwatchError } from './errors.js';
import { createLogger } from './logger.js';

export const RULES_USAGE = `  driftwatch rules validate <rules.yaml>
      Check a rules file: every problem with its line and key path (no secrets needed).
  driftwatch rules schema
      Print the JSON Schema of the rules file.
  driftwatch rules backtest <rules.yaml> --config <driftwatch.yaml> --from <time> --to <time>
                            [--model <glob>] [--json]
      Replay the drift series stored in InfluxDB (window ends from..to, ISO 8601 or epoch ms)
      through the rules: timeline of firing/resolved alerts and notifications, counts per rule.
  driftwatch notifications replay --config <driftwatch.yaml> [--receiver <name>] [--id <id>]
                                  [--dry-run]
      Send dead-lettered notifications again (same id) to the receiver that gave up on them.
`;

const parse = (args: string[], options: NonNullable<ParseArgsConfig['options']>) =>
  parseCommandArgs(args, options, RULES_USAGE);

/** ISO 8601 (a date, or a date and time) or epoch milliseconds. */
function timeArg(name: string, v: string | boolean | undefined): number {
  const text = typeof v === 'string' ? v.trim() : '';
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (text === '' || !Number.isFinite(ms)) {
    throw new DriftwatchError(
      'CLI_USAGE',
      `--${name} needs a time (ISO 8601 such as 2026-01-31T12:00:00Z, or epoch ms), got ${typeof v === 'string' ? JSON.stringify(v) : 'nothing'}`,
    );
  }
  return ms;
}

function validate(args: string[]): number {
  const { positionals } = parse(args, {});
  if (positionals.length !== 1) {
    throw new DriftwatchError('CLI_USAGE', `rules validate needs one file\n\n${RULES_USAGE}`);
  }
  const loaded = loadRulesFile(positionals[0] as string);
  const receivers = Object.keys(loaded.receivers).length;
  process.stdout.write(
    `ok: ${loaded.rules.length} rule${loaded.rules.length === 1 ? '' : 's'}, ${receivers} receiver${receivers === 1 ? '' : 's'}\n`,
  );
  return 0;
}

async function runBacktest(args: string[]): Promise<number> {
  const { values: v, positionals } = parse(args, {
    config: { type: 'string', short: 'c' },
    from: { type: 'string' },
    to: { type: 'string' },
    model: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1 || typeof v.config !== 'string') {
    throw new DriftwatchError(
      'CLI_USAGE',
      `rules backtest needs a rules file and --config, --from, --to\n\n${RULES_USAGE}`,
    );
  }
  const rulesFile = positionals[0] as string;
  const range: DriftRange = {
    from: timeArg('from', v.from),
    to: timeArg('to', v.to),
    model: typeof v.model === 'string' ? v.model : undefined,
  };
  if (range.to < range.from) {
    throw new DriftwatchError('CLI_USAGE', '--to must not be before --from');
  }
  // Rules first: an invalid file fails before anything connects. Receivers' secrets are not
  // read: the engine needs only the rules and the receivers' policies.
  const rules = loadRulesFile(rulesFile);
  const config = loadConfig(v.config);
  const { observations, skipped } = await readDriftObservations(influxTargetOf(config), range);
  if (skipped > 0) {
    process.stderr.write(`driftwatch: ${skipped} rows without a readable drift series skipped\n`);
  }
  const result = backtest(observations, rules, { dashboardUrl: config.alerts?.dashboardUrl });
  process.stdout.write(
    v.json
      ? `${JSON.stringify(backtestJson(result, range, rulesFile), null, 2)}\n`
      : formatBacktest(result, range, rulesFile),
  );
  return 0;
}

async function replay(args: string[]): Promise<number> {
  const { values: v, positionals } = parse(args, {
    config: { type: 'string', short: 'c' },
    receiver: { type: 'string' },
    id: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  });
  if (positionals.length > 0 || typeof v.config !== 'string') {
    throw new DriftwatchError('CLI_USAGE', `notifications replay needs --config\n\n${RULES_USAGE}`);
  }
  // Replay talks to Kafka only: its secrets are read, InfluxDB's and SMTP's are not required.
  const config = loadConfig(v.config, process.env, 'kafka');
  if (!config.alerts) {
    throw new DriftwatchError(
      'ALERTS_CONFIG_INVALID',
      `${v.config} has no alerts section: there is no alert topic to replay to`,
    );
  }
  const topics = alertTopicsFor(config.kafka.groupId, config.alerts);
  const logger = createLogger('warn', pino.destination(2));
  const kafka = createKafkaClient(config, { logger, clientId: `${config.kafka.clientId}-replay` });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const dryRun = v['dry-run'] === true;
  try {
    await checkKafkaAccess(config);
    await reachKafka(config, async () => {
      await admin.connect();
      if (!dryRun) await producer.connect();
    });
    const result = await replayNotifications({ kafka, admin, producer }, topics, {
      receiver: typeof v.receiver === 'string' ? v.receiver : undefined,
      id: typeof v.id === 'string' ? v.id : undefined,
      dryRun,
    });
    const lines = result.selected.map(
      (l) =>
        `${dryRun ? 'would replay' : 'replayed'}  ${l.notification.id}  receiver ${l.receiver ?? '?'}  ${l.notification.kind}  dead-lettered ${new Date(l.timestamp).toISOString()}: ${l.reason ?? '(no reason)'}`,
    );
    const notes = [
      result.unreadable > 0 ? `, ${result.unreadable} unreadable skipped` : '',
      result.withoutReceiver > 0
        ? `, ${result.withoutReceiver} without a receiver header skipped`
        : '',
    ].join('');
    lines.push(
      dryRun
        ? `${result.selected.length} of ${result.read} dead letters in ${topics.deadLetterTopic} selected (dry run: nothing sent)${notes}`
        : `${result.replayed} of ${result.read} dead letters in ${topics.deadLetterTopic} replayed to ${topics.topic}${notes}`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

export async function rulesCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === 'validate') return validate(rest);
  if (verb === 'backtest') return runBacktest(rest);
  if (verb === 'schema') {
    process.stdout.write(`${JSON.stringify(rulesJsonSchema(), null, 2)}\n`);
    return 0;
  }
  throw unknownCommand('rules', verb, RULES_USAGE);
}

export async function notificationsCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === 'replay') return replay(rest);
  throw unknownCommand('notifications', verb, RULES_USAGE);
}
