import type { Command } from 'commander';
import { pino } from 'pino';
import { formatMatcher, type Silence } from '../../alert-engine/silence.js';
import { parseMatcher } from '../alerting/silence-record.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../logger.js';
import {
  addSilence,
  expireSilenceById,
  listedSilences,
  listSilences,
  silenceStatus,
  withSilencesTopic,
} from '../tools/silences.js';
import { collect, printJson, required, timeArg } from './args.js';

interface AddOptions {
  config: string;
  match: string[];
  start?: string;
  end?: string;
  duration?: string;
  createdBy?: string;
  comment: string;
}

/** Silences talk to Kafka only: InfluxDB's and SMTP's secrets are not required. */
const run = <T>(configFile: string, work: Parameters<typeof withSilencesTopic<T>>[2]) =>
  withSilencesTopic(
    loadConfig(configFile, process.env, 'kafka'),
    createLogger('warn', pino.destination(2)),
    work,
  );

const iso = (ms: number) => new Date(ms).toISOString();

export function registerSilence(program: Command): void {
  const group = program
    .command('silence')
    .description(
      'Hold alert notifications during planned work: alerts still change state and are written to InfluxDB; a still-firing one is told once when the silence ends. Stored in Kafka (<groupId>.silences), so every daemon replica and restart applies them.',
    );
  group
    .command('add')
    .description('Create a silence; prints its id.')
    .addOption(required('-c, --config <file>', 'the daemon config (Kafka)'))
    .option(
      '-m, --match <matcher>',
      'name=value (equality) or name~glob (* and ?), e.g. model=fraud, feature~amount_*; several are all required',
      collect,
      [],
    )
    .option('--start <time>', 'when it begins: ISO 8601 or epoch ms (default: now)')
    .option('--end <time>', 'when it ends: ISO 8601 or epoch ms')
    .option('--duration <duration>', 'how long from the start, e.g. 30m, 2h, 1d')
    .option('--created-by <name>', 'who silences (default: $USER)')
    .option('--comment <text>', 'why (shown in the notification after the silence)', '')
    .action(async (v: AddOptions) => {
      const request = {
        matchers: v.match.map(parseMatcher),
        startsAt: v.start === undefined ? undefined : timeArg('start', v.start),
        endsAt: v.end === undefined ? undefined : timeArg('end', v.end),
        duration: v.duration,
        createdBy: v.createdBy ?? process.env.USER ?? 'unknown',
        comment: v.comment,
      };
      const silence = await run(v.config, (io) => addSilence(io, request, Date.now()));
      process.stdout.write(`${silence.id}\n`);
    });
  group
    .command('list')
    .description(
      'The silences still to hold (active, pending), newest first; --all adds the expired ones still kept (alerts.silenceRetention).',
    )
    .addOption(required('-c, --config <file>', 'the daemon config (Kafka)'))
    .option('--all', 'also the expired silences (kept for alerts.silenceRetention)', false)
    .option('--json', 'print JSON (the format `rules backtest --silences` reads)', false)
    .action(async (v: { config: string; json: boolean; all: boolean }) => {
      const now = Date.now();
      const silences = listedSilences(await run(v.config, listSilences), now, v.all);
      if (v.json) {
        printJson(silences);
        return;
      }
      const lines = silences.map((s) => silenceLine(s, now));
      process.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : 'no silences\n');
    });
  group
    .command('expire')
    .description('End a silence now.')
    .argument('<id>', 'the silence id (silence add printed it; silence list shows it)')
    .addOption(required('-c, --config <file>', 'the daemon config (Kafka)'))
    .action(async (id: string, v: { config: string }) => {
      const s = await run(v.config, (io) => expireSilenceById(io, id, Date.now()));
      process.stdout.write(`expired ${s.id} (ends ${iso(s.endsAt)})\n`);
    });
}

function silenceLine(s: Silence, now: number): string {
  const matchers = s.matchers.map(formatMatcher).join(',');
  const comment = s.comment ? `  ${JSON.stringify(s.comment)}` : '';
  return `${s.id}  ${silenceStatus(s, now)}  ${iso(s.startsAt)} – ${iso(s.endsAt)}  ${matchers}  by ${s.createdBy}${comment}`;
}
