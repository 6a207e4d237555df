import { readFileSync } from 'node:fs';
import type { IHeaders } from 'kafkajs';
import { parseCommandArgs, unknownCommand } from './cli-args.js';
import { configJsonSchema } from './config/json-schema.js';
import { parseConfigFile, readConfigText } from './config/load.js';
import { DriftwatchError } from './errors.js';
import { eventSourceFor } from './prediction-log/event-source.js';
import { InputTopics } from './ingest/input-topics.js';

export const CONFIG_USAGE = `  driftwatch config schema
      Print the JSON Schema of the configuration file.
  driftwatch config validate --config <driftwatch.yaml> [--sample <message>]
                             [--topic <name>] [--header <name=value>]... [--record-timestamp <ms>]
      Check the config without contacting any service. With --sample (one message's value, as
      bytes on the topic), print the events input.mapping extracts from it as JSON, or the
      refusal code and reason. Exit 0: valid (and the sample was usable), 1: the sample was
      refused, 2: the config is invalid or the arguments are wrong.
`;

export async function configCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === 'schema') {
    process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    return 0;
  }
  if (verb === 'validate') return Promise.resolve(validate(rest));
  throw unknownCommand('config', verb, CONFIG_USAGE);
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

function validate(args: string[]): number {
  const { values: v } = parseCommandArgs(
    args,
    {
      config: { type: 'string', short: 'c' },
      sample: { type: 'string' },
      topic: { type: 'string' },
      header: { type: 'string', multiple: true },
      'record-timestamp': { type: 'string' },
    },
    CONFIG_USAGE,
  );
  if (typeof v.config !== 'string') {
    throw new DriftwatchError('CLI_USAGE', `config validate needs --config\n\n${CONFIG_USAGE}`);
  }
  const config = parseConfigFile(readConfigText(v.config), v.config);
  process.stderr.write(`${v.config}: valid\n`);
  if (!process.env[config.influx.tokenEnv]) {
    // Not an error here: validation runs where the secrets are not (CI, a laptop).
    process.stderr.write(
      `note: influx.tokenEnv names ${config.influx.tokenEnv}, which is not set here; driftwatch run needs it\n`,
    );
  }
  if (typeof v.sample !== 'string') return 0;
  let value: Buffer;
  try {
    value = readFileSync(v.sample);
  } catch (err) {
    throw new DriftwatchError(
      'CLI_USAGE',
      `cannot read --sample ${v.sample}: ${(err as Error).message}`,
    );
  }
  const recordTimestamp = v['record-timestamp'] ?? String(Date.now());
  if (typeof recordTimestamp !== 'string' || !/^\d+$/.test(recordTimestamp)) {
    throw new DriftwatchError('CLI_USAGE', '--record-timestamp must be epoch milliseconds');
  }
  const topic = typeof v.topic === 'string' ? v.topic : config.kafka.topic;
  // A `multiple` option parses to a list, which ArgValues does not spell out.
  const given = v.header as unknown;
  const headerList = Array.isArray(given) ? given.map(String) : [];
  // A topic that input.topics names or matches is read with its entry's settings; any other
  // as the main topic (the sample may come from a topic the config is about to be given).
  const inputs = InputTopics.resolve(config.kafka.topic, config.input, [topic]);
  const input = inputs.has(topic) ? inputs.inputOf(topic) : config.input;
  const read = eventSourceFor(input).read(
    { value, headers: headers(headerList), timestamp: recordTimestamp },
    topic,
  );
  if (!read.ok) {
    process.stdout.write(
      `${JSON.stringify({ refused: { code: read.code, reason: read.reason } }, null, 2)}\n`,
    );
    return 1;
  }
  const events = read.log !== undefined ? [read.log] : read.logs;
  process.stdout.write(`${JSON.stringify({ events }, null, 2)}\n`);
  return 0;
}
