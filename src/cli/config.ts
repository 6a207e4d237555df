import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { IHeaders } from 'kafkajs';
import { configJsonSchema } from '../config/json-schema.js';
import { parseConfigFile, readConfigText } from '../config/load.js';
import { DriftwatchError } from '../errors.js';
import { eventSourceFor } from '../prediction-log/event-source.js';
import { InputTopics } from '../ingest/input-topics.js';
import { collect, printJson } from './args.js';
import { EXIT } from './exit-codes.js';

interface ValidateOptions {
  config?: string;
  sample?: string;
  topic?: string;
  header: string[];
  recordTimestamp?: string;
}

export function registerConfig(program: Command): void {
  const group = program.command('config').description('Check the configuration file.');
  group
    .command('schema')
    .description('Print the JSON Schema of the configuration file.')
    .action(() => printJson(configJsonSchema()));
  group
    .command('validate')
    .description(
      'Check the config without contacting any service: every problem with its line and key path. ' +
        'With --sample (one message value, as bytes on the topic), print the events input.mapping ' +
        'extracts from it as JSON, or the refusal code and reason. Exit 0: valid (and the sample ' +
        'was usable), 1: the sample was refused, 2: the config is invalid or the arguments are wrong.',
    )
    .argument('[file]', 'the config file (or --config)')
    .option('-c, --config <file>', 'the config file')
    .option('--sample <file>', 'one message value to run through input.mapping')
    .option(
      '--topic <name>',
      'the topic the sample came from (default kafka.topic): its input.topics entry applies',
    )
    .option('--header <name=value>', 'a Kafka header of the sample (repeatable)', collect, [])
    .option('--record-timestamp <ms>', "the sample record's timestamp, epoch ms (default now)")
    .action((file: string | undefined, opts: ValidateOptions) => {
      process.exitCode = validate(file, opts);
    });
}

function headers(list: readonly string[]): IHeaders {
  const out: IHeaders = {};
  for (const item of list) {
    const at = item.indexOf('=');
    if (at <= 0) {
      throw new DriftwatchError('CLI_USAGE', `--header must be name=value, got "${item}"`);
    }
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

function validate(positional: string | undefined, v: ValidateOptions): number {
  if (positional !== undefined && v.config !== undefined && positional !== v.config) {
    throw new DriftwatchError('CLI_USAGE', 'config validate takes one config file, got two');
  }
  const file = positional ?? v.config;
  if (file === undefined) {
    throw new DriftwatchError('CLI_USAGE', 'config validate needs a config file (or --config)');
  }
  const config = parseConfigFile(readConfigText(file), file);
  process.stderr.write(`${file}: valid\n`);
  if (!process.env[config.influx.tokenEnv]) {
    // Not an error here: validation runs where the secrets are not (CI, a laptop).
    process.stderr.write(
      `note: influx.tokenEnv names ${config.influx.tokenEnv}, which is not set here; driftwatch run needs it\n`,
    );
  }
  if (v.sample === undefined) return EXIT.ok;
  let value: Buffer;
  try {
    value = readFileSync(v.sample);
  } catch (err) {
    throw new DriftwatchError(
      'CLI_USAGE',
      `cannot read --sample ${v.sample}: ${(err as Error).message}`,
    );
  }
  const recordTimestamp = v.recordTimestamp ?? String(Date.now());
  if (!/^\d+$/.test(recordTimestamp)) {
    throw new DriftwatchError('CLI_USAGE', '--record-timestamp must be epoch milliseconds');
  }
  const topic = v.topic ?? config.kafka.topic;
  // A topic that input.topics names or matches is read with its entry's settings; any other
  // as the main topic (the sample may come from a topic the config is about to be given).
  const inputs = InputTopics.resolve(config.kafka.topic, config.input, [topic]);
  const input = inputs.has(topic) ? inputs.inputOf(topic) : config.input;
  const read = eventSourceFor(input).read(
    { value, headers: headers(v.header), timestamp: recordTimestamp },
    topic,
  );
  if (!read.ok) {
    printJson({ refused: { code: read.code, reason: read.reason } });
    return EXIT.failed;
  }
  printJson({ events: read.log !== undefined ? [read.log] : read.logs });
  return EXIT.ok;
}
