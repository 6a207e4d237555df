import { describe, expect, it } from 'vitest';
import { JoinFeed } from '../../src/ingest/join-feed.js';
import {
  decodeCommitMetadata,
  decodeLabelsTo,
  encodeCommitMetadata,
} from '../../src/kafka/offset-metadata.js';
import { decodePrediction, joinPartition } from '../../src/labels/join-records.js';
import { MAX_ID_LENGTH } from '../../src/labels/label-message.js';
import type { PredictionLog } from '../../src/prediction-log/prediction-log.js';

const log = (id: string | undefined, prediction: PredictionLog['prediction']): PredictionLog => ({
  model: 'fraud',
  model_version: '3',
  timestamp: 125_000,
  ...(id === undefined ? {} : { id }),
  features: {},
  prediction,
});

describe("stage 1's feed of the delayed-label join", () => {
  it('hands each prediction with an id on once, to its id partition, with its base window', () => {
    const feed = new JoinFeed({ topic: 'g.labels-join', partitions: 4, windowMs: 60_000 }, 10);
    feed.add(log('a', { no: 0.2, yes: 0.8 }), 'h', 9); // below the offset already handed on
    feed.add(log('b', { no: 0.2, yes: 0.8 }), 'h', 10);
    feed.add(log(undefined, 'yes'), 'h', 11);
    feed.add(log('c', null), 'h', 12); // nothing to pair a label with
    feed.readUpTo(13);
    expect(feed.readTo).toBe(13);
    const [record, ...rest] = feed.take();
    expect(rest).toEqual([]);
    expect(record?.key).toBe('p|b');
    expect(record?.partition).toBe(joinPartition('b', 4));
    expect(decodePrediction('b', record?.value as Buffer)).toMatchObject({
      predicted: 'yes',
      score: 0.8,
      positive: 'yes',
      windowStart: 120_000,
      windowEnd: 180_000,
      baselineHash: 'h',
    });
    expect(feed.take()).toEqual([]);
  });

  it('hands on no prediction whose id no label can carry (longer than a label id may be)', () => {
    const feed = new JoinFeed({ topic: 'g.labels-join', partitions: 4, windowMs: 60_000 }, 0);
    // The re-key step refuses such a label: the prediction could only wait, holding memory
    // the count bound (maxPending) does not see.
    feed.add(log('x'.repeat(MAX_ID_LENGTH + 1), 'yes'), 'h', 0);
    feed.add(log('y'.repeat(MAX_ID_LENGTH), 'yes'), 'h', 1);
    expect(feed.take().map((r) => r.key)).toEqual([`p|${'y'.repeat(MAX_ID_LENGTH)}`]);
  });

  it('the commit metadata carries the offset handed up to, beside the watermark', () => {
    const metadata = encodeCommitMetadata(1_000, 42);
    expect(decodeCommitMetadata(metadata)).toBe(1_000);
    expect(decodeLabelsTo(metadata)).toBe(42);
    expect(decodeLabelsTo(encodeCommitMetadata(1_000))).toBeUndefined();
    expect(decodeCommitMetadata(encodeCommitMetadata(-Infinity, 3))).toBeUndefined();
    expect(decodeLabelsTo('dw1:5;lx')).toBeUndefined();
  });
});
