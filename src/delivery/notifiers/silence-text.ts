import type { SilenceNote } from '../../../alert-engine/silence.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** "silenced 2026-… – 2026-… by ana (silence 3f2…): DB migration", as every body says it. */
export function silencedText(s: SilenceNote): string {
  return `silenced ${iso(s.startsAt)} – ${iso(s.endsAt)} by ${s.createdBy} (silence ${s.id})${
    s.comment ? `: ${s.comment}` : ''
  }`;
}

/** The silence as the webhook payload carries it (snake_case, ISO times). */
export function silencedJson(s: SilenceNote | null): Record<string, string> | null {
  if (!s) return null;
  return {
    id: s.id,
    starts_at: iso(s.startsAt),
    ends_at: iso(s.endsAt),
    created_by: s.createdBy,
    comment: s.comment,
  };
}
