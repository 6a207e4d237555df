import type { Message, Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { Silence } from '../../alert-engine/silence.js';
import { SilenceSweeper, silencesPastRetention } from '../../src/alerting/silence-sweeper.js';
import { createLogger } from '../../src/logger.js';
import { DaemonMetrics } from '../../src/metrics.js';
import { listedSilences } from '../../src/tools/silences.js';
import { silence } from '../support/silences.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 6, 12);
const RETENTION = 7 * DAY;

const ended = (id: string, endsAt: number): Silence =>
  silence({ id, startsAt: endsAt - DAY, endsAt, updatedAt: endsAt - DAY });

describe('silences past their retention', () => {
  it('are those that ended at least the retention ago (wall clock)', () => {
    const silences = [
      ended('old', NOW - RETENTION - 1),
      ended('exactly', NOW - RETENTION),
      ended('recent', NOW - RETENTION + 1),
      ended('active', NOW + DAY),
    ];
    expect(silencesPastRetention(silences, NOW, RETENTION).map((s) => s.id)).toEqual([
      'old',
      'exactly',
    ]);
  });
});

describe('SilenceSweeper', () => {
  function setUp(isSweeper: boolean, failing = false) {
    const held = new Map(
      [ended('old', NOW - 8 * DAY), ended('recent', NOW - DAY)].map((s) => [s.id, s]),
    );
    const sent: { topic: string; messages: Message[] }[] = [];
    const producer = {
      send: (record: { topic: string; messages: Message[] }) => {
        if (failing) return Promise.reject(new Error('broker down'));
        sent.push(record);
        return Promise.resolve([]);
      },
    } as unknown as Producer;
    const metrics = new DaemonMetrics();
    const sweeper = new SilenceSweeper({
      feed: {
        list: () => [...held.values()],
        forget: (ids) => ids.forEach((id) => held.delete(id)),
      },
      producer,
      topic: 'g.silences',
      retentionMs: RETENTION,
      isSweeper: () => isSweeper,
      metrics,
      logger: createLogger('silent'),
      now: () => NOW,
    });
    return { held, sent, sweeper, metrics };
  }

  it('tombstones the silences past retention (null value by id), once, and forgets them here', async () => {
    const { held, sent, sweeper } = setUp(true);
    expect(await sweeper.sweep()).toEqual(['old']);
    expect(sent).toEqual([
      { topic: 'g.silences', acks: -1, messages: [{ key: 'old', value: null }] },
    ]);
    expect([...held.keys()]).toEqual(['recent']);
    expect(await sweeper.sweep()).toEqual([]);
    expect(sent).toHaveLength(1);
  });

  it('writes nothing on a replica that does not sweep', async () => {
    const { held, sent, sweeper } = setUp(false);
    expect(await sweeper.sweep()).toEqual([]);
    expect(sent).toHaveLength(0);
    expect(held.size).toBe(2);
  });

  it('a failed write is counted and keeps the silences for the next sweep', async () => {
    const { held, sweeper, metrics } = setUp(true, true);
    expect(await sweeper.sweep()).toEqual([]);
    expect(held.size).toBe(2);
    expect((await metrics.silenceFailures.get()).values[0]?.value).toBe(1);
  });
});

describe('silence list', () => {
  const silences = [
    ended('expired', NOW - DAY),
    silence({ id: 'active', startsAt: NOW - DAY, endsAt: NOW + DAY }),
    silence({ id: 'pending', startsAt: NOW + DAY, endsAt: NOW + 2 * DAY }),
  ];

  it('shows the silences still to hold by default, and the expired ones with --all', () => {
    expect(listedSilences(silences, NOW, false).map((s) => s.id)).toEqual(['active', 'pending']);
    expect(listedSilences(silences, NOW, true).map((s) => s.id)).toEqual([
      'expired',
      'active',
      'pending',
    ]);
  });
});
