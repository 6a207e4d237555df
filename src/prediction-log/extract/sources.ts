import { describeFound } from './describe.js';
import type { TimestampSourceConfig, ValueSourceConfig } from '../../config/input.js';
import { compilePath } from '../../shared/json-path.js';
import type { InputMessage } from '../payload-decoder.js';
import { MAX_TIME_MS, parseIsoTimestamp } from '../prediction-log.js';

/** Reads one value of a message: undefined when the source has nothing there. */
export interface CompiledSource {
  /** How the config names it, for reasons: `/meta/model`, `header ce_type`, `topic`. */
  readonly where: string;
  /**
   * Whether its strings may hold control characters whatever the payload decoder says: headers,
   * topic names and config values do not come through the decoder.
   */
  readonly outsidePayload: boolean;
  read(value: unknown, message: InputMessage, topic: string): unknown;
}

function headerValue(message: InputMessage, name: string): string | undefined {
  const raw = message.headers?.[name];
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

function topicSource(pattern: string): CompiledSource {
  const regex = new RegExp(pattern);
  // A consumer reads one topic (or a few): the answer is kept per topic name, not rematched.
  let lastTopic: string | undefined;
  let lastValue: string | undefined;
  return {
    where: `topic /${pattern}/`,
    outsidePayload: true,
    read(_value, _message, topic) {
      if (topic !== lastTopic) {
        const match = regex.exec(topic);
        lastValue = match ? (match[1] ?? match[0]) : undefined;
        lastTopic = topic;
      }
      return lastValue;
    },
  };
}

export function compileSource(config: ValueSourceConfig): CompiledSource {
  if (typeof config === 'string' || 'path' in config) {
    const path = compilePath(typeof config === 'string' ? config : config.path);
    return { where: path.text, outsidePayload: false, read: (value) => path.get(value) };
  }
  if ('header' in config) {
    const name = config.header;
    return {
      where: `header ${name}`,
      outsidePayload: true,
      read: (_v, message) => headerValue(message, name),
    };
  }
  if ('topic' in config) return topicSource(config.topic);
  const constant = config.value;
  return { where: 'value', outsidePayload: true, read: () => constant };
}

/** A list of sources tried in order: the first that is present (not undefined or null) wins. */
export function compileSources(config: ValueSourceConfig | ValueSourceConfig[]): CompiledSource {
  const list = (Array.isArray(config) ? config : [config]).map(compileSource);
  if (list.length === 1) return list[0] as CompiledSource;
  return {
    where: list.map((s) => s.where).join(', '),
    outsidePayload: list.some((s) => s.outsidePayload),
    read(value, message, topic) {
      for (const source of list) {
        const found = source.read(value, message, topic);
        if (found !== undefined && found !== null) return found;
      }
      return undefined;
    },
  };
}

/** A timestamp in epoch ms, or why not (undefined: absent). */
export type TimestampRead = number | { bad: string } | undefined;

export interface CompiledTimestamp {
  readonly where: string;
  read(value: unknown, message: InputMessage): TimestampRead;
}

/** Epoch numbers to ms; µs divided (not multiplied by 0.001) so whole ms stay exact. */
const TO_MS: Record<'s' | 'ms' | 'us', (n: number) => number> = {
  s: (n) => n * 1000,
  ms: (n) => n,
  us: (n) => n / 1000,
};

function inRange(where: string, ms: number, found: unknown, unit: string): TimestampRead {
  if (Number.isFinite(ms) && ms >= 0 && ms <= MAX_TIME_MS) return ms;
  return { bad: `${where}: ${String(found)} (${unit}) is not a time from 1970 to the year 275760` };
}

function compileTimestampSource(config: TimestampSourceConfig): CompiledTimestamp {
  if (typeof config === 'object' && 'kafkaTimestamp' in config) {
    return {
      where: 'the Kafka record timestamp',
      read: (_v, message) =>
        inRange('the Kafka record timestamp', Number(message.timestamp), message.timestamp, 'ms'),
    };
  }
  const path = compilePath(typeof config === 'string' ? config : config.path);
  const unit = typeof config === 'string' ? 'auto' : config.unit;
  const where = path.text;
  return {
    where,
    read(value) {
      const found = path.get(value);
      if (found === undefined || found === null) return undefined;
      if (typeof found === 'string' && (unit === 'auto' || unit === 'iso')) {
        return (
          parseIsoTimestamp(found) ?? {
            bad: `${where}: ${describeFound(found)} is not an ISO 8601 date-time with a zone`,
          }
        );
      }
      if (typeof found === 'number' && unit !== 'iso') {
        return inRange(
          where,
          TO_MS[unit === 'auto' ? 'ms' : unit](found),
          found,
          unit === 'auto' ? 'ms' : unit,
        );
      }
      const expected =
        unit === 'iso'
          ? 'an ISO 8601 string'
          : unit === 'auto'
            ? 'epoch ms or an ISO 8601 string'
            : `a number (epoch ${unit})`;
      return { bad: `${where}: ${describeFound(found)} is not ${expected}` };
    },
  };
}

export function compileTimestamp(
  config: TimestampSourceConfig | TimestampSourceConfig[],
): CompiledTimestamp {
  const list = (Array.isArray(config) ? config : [config]).map(compileTimestampSource);
  if (list.length === 1) return list[0] as CompiledTimestamp;
  return {
    where: list.map((s) => s.where).join(', '),
    read(value, message) {
      for (const source of list) {
        const found = source.read(value, message);
        if (found !== undefined) return found;
      }
      return undefined;
    },
  };
}
