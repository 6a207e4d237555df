import type { Command } from 'commander';
import { required } from './args.js';
import { pino } from 'pino';
import { alertTopicsFor } from '../alerting/alert-log.js';
import { loadConfig } from '../config/load.js';
import { DriftwatchError } from '../errors.js';
import { createKafkaClient } from '../kafka/client.js';
import { checkKafkaAccess, reachKafka } from '../kafka/reach.js';
import { createLogger } from '../logger.js';
import { replayNotifications } from '../tools/replay.js';

interface ReplayOptions {
  config: string;
  receiver?: string;
  id?: string;
  dryRun: boolean;
}

export function registerNotifications(program: Command): void {
  program
    .command('notifications')
    .description('Work with notifications no receiver could deliver.')
    .command('replay')
    .description(
      'Send dead-lettered notifications again (same id) to the receiver that gave up on them.',
    )
    .addOption(required('-c, --config <file>', 'the daemon config'))
    .option('--receiver <name>', 'only those of this receiver')
    .option('--id <id>', 'only the notification with this id')
    .option('--dry-run', 'list what would be replayed, send nothing', false)
    .action(replay);
}

async function replay(v: ReplayOptions): Promise<void> {
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
  const dryRun = v.dryRun;
  try {
    await checkKafkaAccess(config);
    await reachKafka(config, async () => {
      await admin.connect();
      if (!dryRun) await producer.connect();
    });
    const result = await replayNotifications({ kafka, admin, producer }, topics, {
      receiver: v.receiver,
      id: v.id,
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
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
