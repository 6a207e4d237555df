import { describe, expect, it } from 'vitest';
import { inputSchema } from '../../src/config/input.js';
import { configSchema } from '../../src/config/schema.js';
import { InputTopics } from '../../src/ingest/input-topics.js';
import { DriftwatchError } from '../../src/errors.js';
import { routeByTopic, type EventSource } from '../../src/prediction-log/event-source.js';

const mapping = {
  model: 'm',
  version: 'v',
  timestamp: 't',
  features: 'f',
};

function topics(input: unknown, existing: string[], internal?: (t: string) => boolean) {
  return InputTopics.resolve('main', inputSchema.parse(input), existing, internal);
}

describe('input topics', () => {
  it("numbers the main topic's partitions as before several topics existed", () => {
    const t = topics({}, ['main']);
    expect(t.topics).toEqual(['main']);
    expect(t.sourceOf('main', 0)).toBe(0);
    expect(t.sourceOf('main', 7)).toBe(7);
    expect(t.partitionOf(7)).toEqual({ topic: 'main', partition: 7 });
  });

  it('gives a further topic sources that do not depend on the config order', () => {
    const a = topics({ topics: [{ topic: 'x' }, { topic: 'y' }] }, []);
    const b = topics({ topics: [{ topic: 'y' }, { topic: 'x' }] }, []);
    for (const topic of ['x', 'y']) {
      for (const p of [0, 3]) {
        const source = a.sourceOf(topic, p);
        expect(source).toBe(b.sourceOf(topic, p));
        expect(source).toBeGreaterThanOrEqual(65_536);
        expect(Number.isSafeInteger(source)).toBe(true);
        expect(a.partitionOf(source)).toEqual({ topic, partition: p });
      }
    }
    expect(a.sourceOf('x', 0)).not.toBe(a.sourceOf('y', 0));
  });

  it('reads a topic under the first entry naming or matching it, the main topic under the top level', () => {
    const first = { topic: 'team-a', mapping };
    const t = topics({ topics: [first, { pattern: 'team-.*' }, { pattern: 'main|other' }] }, [
      'main',
      'team-a',
      'team-b',
      'other',
      'xteam-c',
    ]);
    expect(t.topics).toEqual(['main', 'team-a', 'team-b', 'other']);
    expect(t.inputOf('team-a').mapping).toEqual(inputSchema.parse({ mapping }).mapping);
    expect(t.inputOf('team-b').mapping).toBeUndefined();
    expect(t.inputOf('main')).not.toHaveProperty('pattern');
  });

  it("matches whole names, never Kafka's internal topics nor driftwatch's own", () => {
    const t = topics(
      { topics: [{ pattern: 'pred.*' }] },
      ['predictions', 'predictions.dlq', 'xpredictions', '__consumer_offsets', 'pred.partials'],
      (topic) => topic.endsWith('.dlq') || topic === 'pred.partials',
    );
    expect(t.topics).toEqual(['main', 'predictions']);
  });

  it('maps a consumer assignment to sources and groups sources by topic', () => {
    const t = topics({ topics: [{ topic: 'x' }] }, []);
    const sources = t.sourcesOf({ main: [1, 0], x: [2], unrelated: [0] });
    expect(sources).toEqual([0, 1, t.sourceOf('x', 2)]);
    const grouped = t.byTopic(sources);
    expect([...(grouped.get('main') ?? new Map<number, number>())]).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect([...(grouped.get('x') ?? new Map<number, number>())]).toEqual([[2, t.sourceOf('x', 2)]]);
  });

  it('names topics created after the start that a pattern matches', () => {
    const input = inputSchema.parse({ topics: [{ pattern: 'team-.*' }, { topic: 'named' }] });
    const t = InputTopics.resolve('main', input, ['main', 'team-a']);
    expect(t.unread(input, ['main', 'team-a', 'team-b', 'named'])).toEqual(['team-b']);
    expect(InputTopics.named('main', input)).toEqual(['main', 'named']);
  });

  it('refuses a partition number past what a source can hold, with a code', () => {
    const t = topics({}, ['main']);
    expect(() => t.sourceOf('main', 70_000)).toThrow(DriftwatchError);
    try {
      t.sourceOf('main', 70_000);
    } catch (err) {
      expect((err as DriftwatchError).code).toBe('KAFKA_TOPIC_UNSUPPORTED');
    }
  });

  it('validates input.topics entries in the config', () => {
    const base = {
      kafka: { brokers: ['localhost:9092'], topic: 'main', deadLetterTopic: 'dlq' },
      influx: { url: 'http://localhost:8086', org: 'o', bucket: 'b' },
      baselines: { dir: '/tmp' },
    };
    const parse = (topicsEntry: unknown) =>
      configSchema.safeParse({ ...base, input: { topics: [topicsEntry] } });
    expect(parse({ topic: 'x', mapping: { preset: 'oip-v2' } }).success).toBe(true);
    expect(parse({ pattern: 'team-.*' }).success).toBe(true);
    expect(parse({ pattern: '(' }).success).toBe(false);
    expect(parse({ topic: 'x', pattern: 'y' }).success).toBe(false);
    expect(parse({ mapping }).success).toBe(false);
  });
});

describe('routing messages by topic', () => {
  const sourceOf = (model: string): EventSource => ({
    read: () => ({ ok: true, log: { model } }) as ReturnType<EventSource['read']>,
  });

  it("reads each message with its topic's event source", () => {
    const routed = routeByTopic(
      new Map([
        ['a', sourceOf('from-a')],
        ['b', sourceOf('from-b')],
      ]),
    );
    const message = { value: Buffer.from('{}'), headers: {}, timestamp: '0' };
    const modelOf = (topic: string) => {
      const read = routed.read(message, topic);
      return read.ok && read.log !== undefined ? read.log.model : undefined;
    };
    expect(modelOf('a')).toBe('from-a');
    expect(modelOf('b')).toBe('from-b');
    expect(modelOf('a')).toBe('from-a');
    expect(() => routed.read(message, 'c')).toThrow(/no input settings/);
  });
});
