import { crc32 } from 'node:zlib';
import type { ExtraTopicConfig, InputConfig, TopicInputConfig } from '../config/input.js';
import { DriftwatchError } from '../errors.js';

/** One partition of one input topic. */
export interface InputPartition {
  topic: string;
  partition: number;
}

/** Partitions per topic a source number has room for (Kafka's practical limit is far lower). */
const PARTITIONS_PER_TOPIC = 65_536;
/** Topic slots: a 20-bit hash keeps source numbers below 2^37 (short in offset metadata). */
const TOPIC_SLOTS = 1 << 20;

/**
 * The input topics of a daemon and the source number of each of their partitions. A source is
 * one input partition as the rest of the pipeline knows it: the windower's clocks, the partials
 * records and stage 2's per-source watermarks are keyed by it, so it must not change while
 * records carrying it exist. The main topic's partition p is source p (as before several topics
 * existed); a further topic's partition p is (1 + slot) × 65536 + p, its slot a hash of its
 * name, so adding, removing or reordering topics in the config moves no other topic's sources.
 */
export class InputTopics {
  readonly main: string;
  /** Every topic read, the main one first. */
  readonly topics: readonly string[];
  private readonly slots = new Map<string, number>();
  private readonly bySlot = new Map<number, string>();
  private readonly inputs = new Map<string, TopicInputConfig>();

  private constructor(main: string, resolved: ReadonlyMap<string, TopicInputConfig>) {
    this.main = main;
    this.topics = [...resolved.keys()];
    for (const [topic, input] of resolved) {
      this.inputs.set(topic, input);
      if (topic === main) continue;
      const slot = 1 + (crc32(topic) % TOPIC_SLOTS);
      const other = this.bySlot.get(slot);
      if (other !== undefined) {
        throw new DriftwatchError(
          'CONFIG_INVALID',
          `input topics "${other}" and "${topic}" hash to the same source slot; read one of them in another daemon (consumer group)`,
        );
      }
      this.slots.set(topic, slot);
      this.bySlot.set(slot, topic);
    }
  }

  /**
   * Resolves `input.topics` against the topics that exist: named topics are taken as named
   * (checked for existence elsewhere), patterns match the existing ones. A topic is read under
   * the first entry naming or matching it; the main topic always under the top-level input.
   */
  static resolve(
    main: string,
    input: InputConfig,
    existing: readonly string[],
    internal: (topic: string) => boolean = () => false,
  ): InputTopics {
    const resolved = new Map<string, TopicInputConfig>([[main, input]]);
    for (const entry of input.topics) {
      for (const topic of topicsOf(entry, existing, internal)) {
        if (!resolved.has(topic)) resolved.set(topic, entry);
      }
    }
    return new InputTopics(main, resolved);
  }

  /** Topics named outright (they must exist); pattern-matched ones exist by construction. */
  static named(main: string, input: InputConfig): string[] {
    return [main, ...input.topics.flatMap((e) => ('topic' in e ? [e.topic] : []))];
  }

  /** Topics that exist now and match a pattern but are not read (created after the start). */
  unread(
    input: InputConfig,
    existing: readonly string[],
    internal: (topic: string) => boolean = () => false,
  ): string[] {
    const read = new Set(this.topics);
    const unread = new Set<string>();
    for (const entry of input.topics) {
      if ('pattern' in entry) {
        for (const t of topicsOf(entry, existing, internal)) if (!read.has(t)) unread.add(t);
      }
    }
    return [...unread];
  }

  has(topic: string): boolean {
    return this.inputs.has(topic);
  }

  /** How the topic's messages become events. */
  inputOf(topic: string): TopicInputConfig {
    const input = this.inputs.get(topic);
    if (!input) throw new Error(`${topic} is not an input topic`);
    return input;
  }

  sourceOf(topic: string, partition: number): number {
    if (partition < 0 || partition >= PARTITIONS_PER_TOPIC || !Number.isInteger(partition)) {
      throw new DriftwatchError(
        'KAFKA_TOPIC_UNSUPPORTED',
        `input topic "${topic}" partition ${partition}: driftwatch reads partitions 0-${PARTITIONS_PER_TOPIC - 1}`,
      );
    }
    if (topic === this.main) return partition;
    const slot = this.slots.get(topic);
    if (slot === undefined) throw new Error(`${topic} is not an input topic`);
    return slot * PARTITIONS_PER_TOPIC + partition;
  }

  partitionOf(source: number): InputPartition {
    if (source < PARTITIONS_PER_TOPIC) return { topic: this.main, partition: source };
    const topic = this.bySlot.get(Math.floor(source / PARTITIONS_PER_TOPIC));
    if (topic === undefined) throw new Error(`source ${source} is no input topic's partition`);
    return { topic, partition: source % PARTITIONS_PER_TOPIC };
  }

  /** The sources of a consumer's assignment (topic → partitions); other topics left out. */
  sourcesOf(assignment: Readonly<Record<string, readonly number[] | undefined>>): number[] {
    const sources: number[] = [];
    for (const topic of this.topics) {
      for (const p of assignment[topic] ?? []) sources.push(this.sourceOf(topic, p));
    }
    return sources.sort((a, b) => a - b);
  }

  /** Sources grouped by their topic: topic → (partition → source). */
  byTopic(sources: readonly number[]): Map<string, Map<number, number>> {
    const grouped = new Map<string, Map<number, number>>();
    for (const source of sources) {
      const { topic, partition } = this.partitionOf(source);
      let partitions = grouped.get(topic);
      if (!partitions) grouped.set(topic, (partitions = new Map<number, number>()));
      partitions.set(partition, source);
    }
    return grouped;
  }
}

/**
 * A pattern matches whole names, as Kafka's own pattern subscriptions do. Kafka's internal
 * topics and driftwatch's own (dead letters, partials, alerts) are never matched: reading its
 * dead letters as input would feed the daemon its own refusals.
 */
function topicsOf(
  entry: ExtraTopicConfig,
  existing: readonly string[],
  internal: (topic: string) => boolean,
): string[] {
  if ('topic' in entry) return [entry.topic];
  const pattern = new RegExp(`^(?:${entry.pattern})$`);
  return existing.filter((t) => !t.startsWith('__') && !internal(t) && pattern.test(t)).sort();
}
