import { randomUUID } from 'node:crypto';
import type { Message } from 'kafkajs';
import { z } from 'zod';
import type { Silence, SilenceMatcher } from '../../alert-engine/silence.js';
import { parseDuration } from '../config/duration.js';
import { DriftwatchError } from '../errors.js';
import { formatIssues } from '../zod-issues.js';

/**
 * Silences as records of the silences topic: keyed by silence id, the newest record per id is
 * the silence (compaction keeps just that one). Expiring writes the silence again with an
 * earlier end, so `silence list --all` shows who silenced what and when; a silence past
 * alerts.silenceRetention is removed by a tombstone (silence-sweeper.ts).
 */

export const SILENCE_RECORD_VERSION = 1;
/** Label names as alerts carry them: rule, model, model_version, feature, …, rule labels. */
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_MATCHERS = 20;

export const silenceMatcherSchema = z
  .object({
    name: z.string().regex(LABEL_NAME, 'a label name such as model, feature or model_version'),
    value: z.string().min(1).max(500),
    glob: z.boolean().default(false),
  })
  .strict();

const silenceSchema = z
  .object({
    v: z.literal(SILENCE_RECORD_VERSION),
    id: z.string().min(1).max(100),
    matchers: z.array(silenceMatcherSchema).min(1).max(MAX_MATCHERS),
    startsAt: z.number().int(),
    endsAt: z.number().int(),
    createdBy: z.string().min(1).max(200),
    comment: z.string().max(2000),
    updatedAt: z.number().int(),
  })
  .strict();

/** `silence list --json`: what `rules backtest --silences` reads back. */
export const silenceListSchema = z.array(silenceSchema.omit({ v: true }));

export function silenceMessage(s: Silence): Message {
  return { key: s.id, value: JSON.stringify({ v: SILENCE_RECORD_VERSION, ...s }) };
}

/** One record's silence; throws (zod) when this version cannot read it. */
export function decodeSilence(value: Buffer): Silence {
  const r = silenceSchema.parse(JSON.parse(value.toString('utf8')));
  return {
    id: r.id,
    matchers: r.matchers,
    startsAt: r.startsAt,
    endsAt: r.endsAt,
    createdBy: r.createdBy,
    comment: r.comment,
    updatedAt: r.updatedAt,
  };
}

/** A time as the CLI and the HTTP API take it: ISO 8601 or epoch ms. */
const timeSchema = z.union([z.number().int(), z.string().datetime({ offset: true })]);

/** What a person asks for: `startsAt` defaults to now, `endsAt` or `duration` is required. */
export const newSilenceSchema = z
  .object({
    matchers: z.array(silenceMatcherSchema).min(1).max(MAX_MATCHERS),
    startsAt: timeSchema.optional(),
    endsAt: timeSchema.optional(),
    duration: z.string().optional(),
    createdBy: z.string().min(1).max(200),
    comment: z.string().max(2000).default(''),
  })
  .strict();
export type NewSilence = z.input<typeof newSilenceSchema>;

/** A request from a person (CLI, HTTP) validated once; SILENCE_INVALID naming every bad key. */
export function parseNewSilence(input: unknown): z.output<typeof newSilenceSchema> {
  const parsed = newSilenceSchema.safeParse(input);
  if (!parsed.success) {
    throw new DriftwatchError(
      'SILENCE_INVALID',
      `invalid silence:\n${formatIssues(parsed.error.issues, 10)}`,
    );
  }
  return parsed.data;
}

const toMs = (t: string | number): number => (typeof t === 'number' ? t : Date.parse(t));

/**
 * A new silence from a validated request; its id is random. Throws SILENCE_INVALID. A range in
 * the past is allowed: silences hold in event time, and a replay of old windows meets it.
 */
export function createSilence(input: z.output<typeof newSilenceSchema>, now: number): Silence {
  const startsAt = input.startsAt === undefined ? now : toMs(input.startsAt);
  let endsAt: number;
  if (input.duration !== undefined) {
    const ms = parseDuration(input.duration);
    if (ms === undefined || ms <= 0) {
      throw new DriftwatchError(
        'SILENCE_INVALID',
        `duration "${input.duration}" is not a positive duration such as "30m", "2h" or "1d"`,
      );
    }
    if (input.endsAt !== undefined) {
      throw new DriftwatchError('SILENCE_INVALID', 'give an end time or a duration, not both');
    }
    endsAt = startsAt + ms;
  } else if (input.endsAt !== undefined) endsAt = toMs(input.endsAt);
  else throw new DriftwatchError('SILENCE_INVALID', 'a silence needs an end time or a duration');
  if (endsAt <= startsAt) {
    throw new DriftwatchError(
      'SILENCE_INVALID',
      `the end (${new Date(endsAt).toISOString()}) must be after the start (${new Date(startsAt).toISOString()})`,
    );
  }
  return {
    id: randomUUID(),
    matchers: input.matchers.map((m) => ({ name: m.name, value: m.value, glob: m.glob })),
    startsAt,
    endsAt,
    createdBy: input.createdBy,
    comment: input.comment,
    updatedAt: now,
  };
}

/** The silence ended now (one not begun yet never holds). Unchanged when already over. */
export function expireSilence(s: Silence, now: number): Silence {
  if (s.endsAt <= now) return s;
  return { ...s, endsAt: Math.max(now, s.startsAt), updatedAt: now };
}

/** `name=value` (equality) or `name~glob` (`*`, `?`), as `silence add --match` takes them. */
export function parseMatcher(text: string): SilenceMatcher {
  const at = text.search(/[=~]/);
  const parsed =
    at <= 0
      ? undefined
      : silenceMatcherSchema.safeParse({
          name: text.slice(0, at),
          value: text.slice(at + 1),
          glob: text[at] === '~',
        });
  if (!parsed?.success) {
    throw new DriftwatchError(
      'SILENCE_INVALID',
      `matcher "${text}" is not name=value or name~glob (e.g. model=fraud, feature~amount_*)`,
    );
  }
  return parsed.data;
}
