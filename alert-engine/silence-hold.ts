import { alertLabels } from './engine-store.js';
import type { InstanceState } from './instance.js';
import type { AlertRule } from './rule.js';
import { noteOf, type SilenceSet } from './silence.js';

/** An alert a silence began holding: counted by the daemon (driftwatch_alerts_silenced_total). */
export interface SilencedAlert {
  rule: string;
  fingerprint: string;
  silenceId: string;
}

/**
 * Splits a group's members at event time `clock` into those receivers may hear about and those
 * a silence holds. A held member keeps a note of its silence (refreshed, so an expiry shows
 * its real end) until the notification after the silence; newly held ones are reported.
 */
export function holdSilenced(
  members: readonly InstanceState[],
  rule: AlertRule,
  silences: SilenceSet,
  clock: number,
  started: SilencedAlert[],
): InstanceState[] {
  if (silences.size === 0 && members.every((m) => !m.silencedBy)) return [...members];
  const told: InstanceState[] = [];
  for (const m of members) {
    const silence = silences.find(alertLabels(m, rule), clock);
    if (silence) {
      if (m.silencedBy?.id !== silence.id) {
        started.push({ rule: m.rule, fingerprint: m.fingerprint, silenceId: silence.id });
      }
      m.silencedBy = noteOf(silence);
      continue;
    }
    if (m.silencedBy) {
      const current = silences.get(m.silencedBy.id);
      if (current) m.silencedBy = noteOf(current);
    }
    told.push(m);
  }
  return told;
}

/**
 * After a group decision: members just told forget their silence (told once), and so do
 * members out of a silence with nothing left to tell (neither firing nor a pending resolve).
 */
export function releaseSilenced(
  told: readonly InstanceState[],
  notified: ReadonlySet<InstanceState>,
): void {
  for (const m of told) {
    if (!m.silencedBy) continue;
    const firing = m.state === 'firing' || m.state === 'recovering';
    if (notified.has(m) || (!firing && !m.resolvedPending)) m.silencedBy = null;
  }
}

/**
 * Whether a member a silence holds is still "firing" for the receivers: they were told it
 * fired and have not been told otherwise (it may have resolved since, inside the silence).
 * Its group must then not end its episode with a "resolved": its resolution is owed after the
 * silence, in the episode receivers know.
 */
export function heldAsFiring(
  members: readonly InstanceState[],
  told: readonly InstanceState[],
): boolean {
  return members.some((m) => m.notified === 'firing' && !told.includes(m));
}

/**
 * An instance with nothing to tell (inactive, no resolution owed) forgets the silence that
 * held it: an episode that fired and resolved inside the silence was never told, so a later
 * episode must not say it was silenced. Returns whether the instance changed.
 */
export function forgetSilenceWhenQuiet(st: InstanceState): boolean {
  if (!st.silencedBy || st.state !== 'inactive' || st.resolvedPending) return false;
  st.silencedBy = null;
  return true;
}
