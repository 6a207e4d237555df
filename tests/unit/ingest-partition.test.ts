import { describe, expect, it } from 'vitest';
import { IngestPartition, type PartitionStart } from '../../src/ingest/ingest-partition.js';
import type { PartitionOutbox } from '../../src/ingest/partition-outbox.js';
import { Windower } from '../../src/windows/windower.js';
import { BaselineStore } from '../../src/baseline/store.js';

const MINUTE = 60_000;
const IDLE_MS = 1_000;
const CLAIM_MS = 4_000;

/** Partition 0 of a one-partition topic, assigned at t = 0 with offsets 0..5 read. */
function partition(): { ingest: IngestPartition; windower: Windower } {
  const windower = new Windower(MINUTE, 0, new BaselineStore('/nonexistent'), IDLE_MS, CLAIM_MS);
  const start: PartitionStart = {
    resumeAt: 5,
    watermark: undefined,
    position: { readTo: 5, end: 5 },
  };
  windower.setPartitions([0]);
  windower.setAssigned([0], 0, new Map([[0, start.position]]));
  const outbox = {} as PartitionOutbox;
  return { ingest: new IngestPartition(0, windower, outbox, start, MINUTE, CLAIM_MS), windower };
}

describe('stage 1: what one input partition tells stage 2', () => {
  it('claims idleness with the log end it probed, and announces a new claim when the log moved on', () => {
    const { ingest, windower } = partition();
    const first = ingest.nextOutput([], 0);
    expect(first?.progress).toMatchObject({ idle: false });
    if (first) ingest.handedOn(first, 0);

    windower.applyProbe(new Map([[0, 5]]), 1_500, 1_500);
    const claim = ingest.nextOutput([], 1_500);
    expect(claim?.progress).toMatchObject({ idle: true, idleEnd: 5, idleUntil: 1_500 + CLAIM_MS });
    if (claim) ingest.handedOn(claim, 1_500);
    expect(ingest.nextOutput([], 1_600)?.progress).toBeUndefined();

    // Three messages arrived and were read, none usable (say, dead-lettered): still idle, but
    // stage 2 checks claims against the log end, so the claim must name the new one at once.
    windower.endBatch(0, 1_700, 8, false);
    windower.applyProbe(new Map([[0, 8]]), 1_800, 1_800);
    const renewed = ingest.nextOutput([], 1_800);
    expect(renewed?.progress).toMatchObject({ idle: true, idleEnd: 8 });
  });
});
