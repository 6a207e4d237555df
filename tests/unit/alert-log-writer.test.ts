import type { Message, ProducerRecord, Transaction } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { AlertRecordTooLarge } from '../../src/alerting/alert-log-writer.js';
import { AlertLogFenced, AlertLogWriter } from '../../src/alerting/alert-log-writer.js';
import type { TransactionalProducer } from '../../src/kafka/transactional-id.js';
import { isFencingError } from '../../src/kafka/failures.js';

class KafkaError extends Error {
  constructor(readonly type: string) {
    super(type);
  }
}

type Failure = Error | undefined;

/**
 * kafkajs transactional producers as the writer sees them: every call is logged (`<producer>
 * <call>`), and the failures to inject are decided per call.
 */
function fakeProducers(
  fail: {
    send?: (messages: Message[], call: number) => Failure;
    commit?: (call: number) => Failure;
    abort?: (call: number) => Failure;
  } = {},
) {
  const log: string[] = [];
  /** The partition of every record sent. */
  const partitions: (number | undefined)[] = [];
  let producers = 0;
  let sends = 0;
  let commits = 0;
  let aborts = 0;
  const createProducer = (): TransactionalProducer => {
    const id = ++producers;
    let registered = false;
    return {
      connect: () => {
        log.push(`${id} connect`);
        return Promise.resolve();
      },
      disconnect: () => {
        log.push(`${id} disconnect`);
        return Promise.resolve();
      },
      transaction: () => {
        if (!registered) {
          registered = true;
          log.push(`${id} register`);
        }
        log.push(`${id} begin`);
        const tx = {
          send: (record: ProducerRecord) => {
            const err = fail.send?.(record.messages, ++sends);
            partitions.push(...record.messages.map((m) => m.partition));
            log.push(
              `${id} send ${record.messages.map((m) => String(m.key)).join(',')}${err ? ' ✗' : ''}`,
            );
            return err ? Promise.reject(err) : Promise.resolve([]);
          },
          commit: () => {
            const err = fail.commit?.(++commits);
            log.push(`${id} commit${err ? ' ✗' : ''}`);
            return err ? Promise.reject(err) : Promise.resolve();
          },
          abort: () => {
            const err = fail.abort?.(++aborts);
            log.push(`${id} abort${err ? ' ✗' : ''}`);
            return err ? Promise.reject(err) : Promise.resolve();
          },
        };
        return Promise.resolve(tx as unknown as Transaction);
      },
    };
  };
  return { log, partitions, createProducer };
}

const record = (key: string, bytes = 10): Message => ({ key, value: 'x'.repeat(bytes) });

/** Producer `id` registering the transactional id: an empty transaction, nothing sent. */
const registration = (id: number) => [
  `${id} connect`,
  `${id} register`,
  `${id} begin`,
  `${id} abort`,
];

function writerFor(fake: ReturnType<typeof fakeProducers>) {
  const tooLarge: AlertRecordTooLarge[] = [];
  const writer = new AlertLogWriter({
    createProducer: fake.createProducer,
    transactionalId: 'g.alerts.2',
    topic: 'g.alerts',
    partition: 2,
    onRecordTooLarge: (err) => tooLarge.push(err),
  });
  return { writer, tooLarge };
}

describe('AlertLogWriter: one transaction per evaluation', () => {
  it('takeOver registers the transactional id (fencing older writers) before anything is read', async () => {
    const fake = fakeProducers();
    const { writer } = writerFor(fake);
    await writer.takeOver();
    // The empty transaction only registers the id; it sends nothing.
    expect(fake.log).toEqual(registration(1));
  });

  it('takeOver after appends registers the id anew, with a new producer (so the broker completes the commits first)', async () => {
    const fake = fakeProducers();
    const { writer } = writerFor(fake);
    await writer.takeOver();
    await writer.append([record('a')]);
    fake.log.length = 0;
    await writer.takeOver();
    await writer.append([record('b')]);
    expect(fake.log).toEqual([
      '1 disconnect',
      ...registration(2),
      '2 begin',
      '2 send b',
      '2 commit',
    ]);
  });

  it('writes every record to its own partition of the alert log, never where a key would hash', async () => {
    const fake = fakeProducers();
    const { writer } = writerFor(fake);
    await writer.append([record('a'), record('b', 600_000), record('c', 600_000)]);
    expect(fake.partitions).toEqual([2, 2, 2]);
  });

  it('splits large evaluations into several sends inside one committed transaction', async () => {
    const fake = fakeProducers();
    const { writer } = writerFor(fake);
    await writer.takeOver();
    fake.log.length = 0;
    await writer.append(['a', 'b', 'c', 'd', 'e'].map((k) => record(k, 200_000)));
    expect(fake.log).toEqual(['1 begin', '1 send a,b', '1 send c,d', '1 send e', '1 commit']);
    await writer.append([]);
    expect(fake.log).toHaveLength(5);
  });

  it('a failed send aborts the transaction and rethrows; the producer is used again', async () => {
    const fake = fakeProducers({
      send: (_m, call) => (call === 2 ? new KafkaError('REQUEST_TIMED_OUT') : undefined),
    });
    const { writer } = writerFor(fake);
    await writer.takeOver();
    fake.log.length = 0;
    const evaluation = ['a', 'b'].map((k) => record(k, 400_000));
    await expect(writer.append(evaluation)).rejects.toThrow('REQUEST_TIMED_OUT');
    await writer.append(evaluation);
    expect(fake.log).toEqual([
      '1 begin',
      '1 send a',
      '1 send b ✗',
      '1 abort',
      '1 begin',
      '1 send a',
      '1 send b',
      '1 commit',
    ]);
  });

  it('a failed commit (kafkajs then refuses to abort) replaces the producer, re-registering', async () => {
    const fake = fakeProducers({
      commit: (call) => (call === 1 ? new KafkaError('NETWORK') : undefined),
      abort: (call) =>
        call === 2 ? new Error('Cannot continue to use transaction once ended') : undefined,
    });
    const { writer } = writerFor(fake);
    await writer.takeOver();
    fake.log.length = 0;
    await expect(writer.append([record('a')])).rejects.toThrow('NETWORK');
    await writer.append([record('a')]);
    expect(fake.log).toEqual([
      '1 begin',
      '1 send a',
      '1 commit ✗',
      '1 abort ✗',
      '1 disconnect',
      ...registration(2),
      '2 begin',
      '2 send a',
      '2 commit',
    ]);
  });

  it('fenced by a newer daemon: AlertLogFenced, for good (never takes the id back)', async () => {
    const fake = fakeProducers({ send: () => new KafkaError('INVALID_PRODUCER_EPOCH') });
    const { writer } = writerFor(fake);
    await writer.takeOver();
    await expect(writer.append([record('a')])).rejects.toBeInstanceOf(AlertLogFenced);
    const before = fake.log.length;
    await expect(writer.append([record('a')])).rejects.toBeInstanceOf(AlertLogFenced);
    await expect(writer.takeOver()).rejects.toBeInstanceOf(AlertLogFenced);
    expect(fake.log).toHaveLength(before);
    expect(fake.log.filter((l) => l.endsWith('register'))).toHaveLength(1);
  });

  it('recognises fencing errors, also wrapped and by code 90 kafkajs does not name', () => {
    expect(isFencingError(new KafkaError('INVALID_PRODUCER_EPOCH'))).toBe(true);
    expect(
      isFencingError(new Error('retries exceeded', { cause: new Error('Unknown error code 90') })),
    ).toBe(true);
    expect(isFencingError(new KafkaError('MESSAGE_TOO_LARGE'))).toBe(false);
    expect(isFencingError(undefined)).toBe(false);
  });

  it('a record too large even alone is left out and reported; the others are written, no endless retry', async () => {
    const fake = fakeProducers({
      send: (messages) =>
        messages.some((m) => m.key === 'huge') ? new KafkaError('MESSAGE_TOO_LARGE') : undefined,
    });
    const { writer, tooLarge } = writerFor(fake);
    await writer.takeOver();
    fake.log.length = 0;
    await writer.append([record('a'), record('huge', 2_000_000), record('b')]);
    expect(fake.log).toEqual([
      '1 begin',
      '1 send a',
      '1 send huge ✗',
      '1 abort',
      '1 begin',
      '1 send a,b',
      '1 commit',
    ]);
    expect(tooLarge.map((e) => [e.key, e.bytes])).toEqual([['huge', 2_000_000]]);
  });

  it('a chunk too large for a broker with a smaller limit: every record on its own, then the culprit out', async () => {
    const fake = fakeProducers({
      send: (messages) =>
        messages.length > 1 || messages[0]?.key === 'c'
          ? new KafkaError('MESSAGE_TOO_LARGE')
          : undefined,
    });
    const { writer, tooLarge } = writerFor(fake);
    await writer.takeOver();
    fake.log.length = 0;
    await writer.append([record('a'), record('b'), record('c')]);
    expect(fake.log).toEqual([
      '1 begin',
      '1 send a,b,c ✗',
      '1 abort',
      '1 begin',
      '1 send a',
      '1 send b',
      '1 send c ✗',
      '1 abort',
      '1 begin',
      '1 send a,b ✗',
      '1 abort',
      '1 begin',
      '1 send a',
      '1 send b',
      '1 commit',
    ]);
    expect(tooLarge.map((e) => e.key)).toEqual(['c']);
  });
});
