/**
 * Silences: an operator's "hold the notifications of these alerts from..to". A silence never
 * changes an alert's state (transitions and InfluxDB points go on); it only holds what
 * receivers would be told. Whether it holds is decided at the engine's event-time clock
 * (window end or watermark) against the silence's own time range, never at the wall clock,
 * so a replay, a restore and `rules backtest` hold the same notifications.
 */
import { compileGlob, type Matcher } from './glob.js';

/** One label condition: `name` equals `value`, or (glob) matches the glob `value`. */
export interface SilenceMatcher {
  name: string;
  value: string;
  glob: boolean;
}

export interface Silence {
  id: string;
  /** Every matcher must hold for an alert's labels (rule, model, model_version, feature, …). */
  matchers: SilenceMatcher[];
  /** Event time (epoch ms): in effect while startsAt <= time < endsAt. */
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  /** Epoch ms the silence was created (or last changed: expired). */
  updatedAt: number;
}

/** What an alert remembers of the silence that held it, told in the notification after. */
export interface SilenceNote {
  id: string;
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

export function noteOf(s: Silence): SilenceNote {
  return {
    id: s.id,
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    createdBy: s.createdBy,
    comment: s.comment,
  };
}

/** Whether the silence is in effect at event time `time`. */
export function silenceActiveAt(s: Silence, time: number): boolean {
  return s.startsAt <= time && time < s.endsAt;
}

/** A matcher as the CLI and the README write it: `name=value` or `name~glob`. */
export function formatMatcher(m: SilenceMatcher): string {
  return `${m.name}${m.glob ? '~' : '='}${m.value}`;
}

interface Compiled {
  silence: Silence;
  tests: { name: string; matches: Matcher }[];
}

/** The silences in force, compiled once; looked up per alert at each group decision. */
export class SilenceSet {
  private readonly compiled: Compiled[];
  private readonly byId: Map<string, Silence>;

  constructor(silences: readonly Silence[] = []) {
    // Id order: the same silence wins whatever order the records arrived in.
    const sorted = [...silences].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.byId = new Map(sorted.map((s) => [s.id, s]));
    this.compiled = sorted.map((silence) => ({
      silence,
      tests: silence.matchers.map((m) => ({
        name: m.name,
        matches: m.glob ? compileGlob(m.value) : (v: string) => v === m.value,
      })),
    }));
  }

  get size(): number {
    return this.compiled.length;
  }

  get(id: string): Silence | undefined {
    return this.byId.get(id);
  }

  /**
   * The silence holding an alert with these labels at `time`: of several, the one ending last
   * (then the smallest id), so the note names the silence that keeps it quiet longest.
   */
  find(labels: Readonly<Record<string, string>>, time: number): Silence | undefined {
    let best: Silence | undefined;
    for (const { silence, tests } of this.compiled) {
      if (!silenceActiveAt(silence, time)) continue;
      if (!tests.every((t) => t.matches(labels[t.name] ?? ''))) continue;
      if (!best || silence.endsAt > best.endsAt) best = silence;
    }
    return best;
  }

  /** How many are in effect at `time`. */
  activeAt(time: number): number {
    return this.compiled.filter((c) => silenceActiveAt(c.silence, time)).length;
  }
}
