/**
 * The benches' input: one model with 20 features (19 numeric + `country`), 5,000 events per
 * 1-minute window, its baseline, and producing it to a topic.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka, Message } from 'kafkajs';
import { buildBaseline, writeBaselineFile } from '../src/baseline/build.js';
import { sendInChunks } from '../scripts/kafka-tools.js';
import {
  featureNames,
  predictionLogs,
  trainingColumns,
  type SyntheticSpec,
} from '../scripts/synthetic.js';

export const BENCH_SPEC: SyntheticSpec = {
  model: 'bench',
  modelVersion: '1',
  numericFeatures: featureNames(19),
  seed: 99,
};
const PER_WINDOW = 5_000;
const WINDOW_MS = 60_000;
const START = Date.parse('2026-11-01T00:00:00Z');

/** Data windows `events` bench logs fill (the closing events' window aside). */
export function windowCount(events: number): number {
  return Math.ceil(events / PER_WINDOW);
}

/** A baselines dir with the bench model's baseline. */
export function benchBaselines(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-baselines-'));
  writeBaselineFile(
    dir,
    buildBaseline(trainingColumns(BENCH_SPEC, 20_000), {
      model: BENCH_SPEC.model,
      modelVersion: BENCH_SPEC.modelVersion,
      sourceFile: 'synthetic',
    }),
  );
  return dir;
}

/** The `i`th event's ground truth (its prediction is a score for `true`): 30 % are `true`. */
const benchLabel = (i: number) => (i * 7) % 10 < 3;

/**
 * Produces `events` prediction logs to `topic`; returns the average bytes per event. With
 * `partitions`, the events go round-robin to every partition (one hot model that every
 * consumer shares) and each partition ends with an event two windows later, so every data
 * window can close.
 */
export async function produceBenchLogs(
  kafka: Kafka,
  topic: string,
  events: number,
  partitions?: number,
): Promise<number> {
  const producer = kafka.producer();
  await producer.connect();
  let batch: Message[] = [];
  let bytes = 0;
  let i = 0;
  // BENCH_OPS=1: every event also carries a latency, an error flag and a label (the ops and
  // quality series' per-event work).
  const withOps = process.env.BENCH_OPS === '1';
  for (const log of predictionLogs(BENCH_SPEC, START, WINDOW_MS / PER_WINDOW, events)) {
    const value = JSON.stringify(
      withOps
        ? { ...log, latency_ms: 5 + (i % 200), error: i % 50 === 0, label: benchLabel(i) }
        : log,
    );
    if (withOps && !partitions) i++;
    bytes += value.length;
    batch.push(partitions ? { value, partition: i++ % partitions } : { value });
    if (batch.length === 1_000) {
      await producer.send({ topic, messages: batch });
      batch = [];
    }
  }
  if (partitions) {
    const closer = JSON.stringify({
      model: BENCH_SPEC.model,
      model_version: BENCH_SPEC.modelVersion,
      timestamp: new Date(START + (windowCount(events) + 2) * WINDOW_MS).toISOString(),
      features: {},
    });
    for (let p = 0; p < partitions; p++) batch.push({ value: closer, partition: p });
  }
  if (batch.length > 0) await producer.send({ topic, messages: batch });
  await producer.disconnect();
  return bytes / events;
}

/**
 * Produces to `topic` a delayed label (`{id, label, timestamp}`, one window after its
 * prediction) for each of the first `events` bench logs, in their order.
 */
export async function produceBenchLabels(
  kafka: Kafka,
  topic: string,
  events: number,
): Promise<void> {
  const labels: Message[] = [];
  let i = 0;
  for (const log of predictionLogs(BENCH_SPEC, START, WINDOW_MS / PER_WINDOW, events)) {
    const timestamp = Date.parse(log.timestamp) + WINDOW_MS;
    labels.push({ value: JSON.stringify({ id: log.id, label: benchLabel(i++), timestamp }) });
  }
  const producer = kafka.producer();
  await producer.connect();
  await sendInChunks(producer, topic, labels);
  await producer.disconnect();
}
