import type {
  AlertState,
  AlertTransition,
  DriftObservation,
  PValueAdjustment,
  SeriesIdentity,
  Severity,
} from './model.js';

export type { SeriesIdentity } from './model.js';
import { stableId } from './ids.js';
import type { SilenceNote } from './silence.js';
import { breaches, recovered, severityFor, windowsFor, type AlertRule } from './rule.js';
import type { Criterion } from './condition.js';

/** Everything one alert instance remembers; persisted (as JSON) so a restart resumes it. */
export interface InstanceState extends SeriesIdentity {
  fingerprint: string;
  rule: string;
  groupKey: string;
  /** `inactive` with resolvedPending: resolved, its resolution not yet notified. */
  state: Exclude<AlertState, 'resolved'>;
  seq: number;
  breaches: number;
  clears: number;
  episodeId: string | null;
  startsAt: number | null;
  endsAt: number | null;
  severity: Severity;
  value: number | null;
  /** The correction behind `value` (p_value rules); absent in state written before it existed. */
  correction?: PValueAdjustment | null;
  /** `drifted` rules: the decision's operator and threshold in the last window; absent for
   * comparisons (the rule's own are reported). */
  criterion?: Criterion | null;
  baseline: string;
  windowStart: number;
  windowEnd: number;
  samples: number;
  stateReason: string | null;
  /** Window ends at which recent episodes started (flapping guard), oldest first. */
  episodeStarts: number[];
  flapping: boolean;
  /** What receivers were last told about this instance. */
  notified: 'none' | 'firing';
  notifiedSeverity: Severity | null;
  notifiedFlapping: boolean;
  resolvedPending: boolean;
  /**
   * The silence holding (or last holding) its notifications, until receivers were told about
   * the alert after it; absent in state written before silences existed.
   */
  silencedBy?: SilenceNote | null;
  /**
   * The text fields of the last evaluated point (a schema point's feature names), for the
   * notification; absent when it had none and in state written before they were kept.
   */
  details?: DriftObservation['details'];
}

export function fingerprintOf(rule: string, s: SeriesIdentity): string {
  return stableId('alert', rule, s.model, s.modelVersion, s.feature, s.method, s.window);
}

export function newInstance(
  rule: AlertRule,
  series: SeriesIdentity,
  groupKey: string,
): InstanceState {
  return {
    ...series,
    fingerprint: fingerprintOf(rule.name, series),
    rule: rule.name,
    groupKey,
    state: 'inactive',
    seq: 0,
    breaches: 0,
    clears: 0,
    episodeId: null,
    startsAt: null,
    endsAt: null,
    severity: rule.severity,
    value: null,
    correction: null,
    baseline: '',
    windowStart: 0,
    windowEnd: 0,
    samples: 0,
    stateReason: null,
    episodeStarts: [],
    flapping: false,
    notified: 'none',
    notifiedSeverity: null,
    notifiedFlapping: false,
    resolvedPending: false,
    silencedBy: null,
  };
}

/** One window of one series as the state machine reads it. */
export interface InstanceInput {
  /** The tested number; null when the window had too few samples or no number. */
  value: number | null;
  /** The correction behind an adjusted p-value (p_value rules only). */
  correction?: PValueAdjustment | null;
  /** Compound and drifted conditions: whether the condition holds (no hysteresis band). */
  holds?: boolean | undefined;
  criterion?: Criterion | null;
  samples: number;
  baseline: string;
  windowStart: number;
  windowEnd: number;
  /** Why value is null (shown to the on-call engineer). */
  insufficientReason?: string;
  /** The point's text fields (model-level points), kept for the notification. */
  details?: DriftObservation['details'];
}

/**
 * The transition `from` → `to` of an instance as it stands now (its seq, value, reason, …),
 * at event time `time`. Changes nothing: the caller advances `st.seq` and the state.
 */
export function transitionOf(
  st: InstanceState,
  rule: AlertRule,
  from: AlertState,
  to: AlertState,
  time: number,
): AlertTransition {
  return {
    fingerprint: st.fingerprint,
    rule: st.rule,
    severity: st.severity,
    from,
    to,
    seq: st.seq,
    episodeId: st.episodeId,
    model: st.model,
    modelVersion: st.modelVersion,
    feature: st.feature,
    method: st.method,
    window: st.window,
    value: st.value,
    threshold: criterionOf(st, rule).threshold,
    samples: st.samples,
    time,
    reason: st.stateReason,
  };
}

/** The operator and threshold an instance reports: the decision's (drifted), else the rule's. */
export function criterionOf(st: InstanceState, rule: AlertRule): Criterion {
  return st.criterion ?? { op: rule.op, threshold: rule.threshold };
}

type Verdict = 'breach' | 'band' | 'clear' | 'none';

function verdictOf(rule: AlertRule, input: InstanceInput): Verdict {
  if (input.value === null) {
    if (rule.insufficientData === 'ok') return 'clear';
    if (rule.insufficientData === 'breach') return 'breach';
    return 'none';
  }
  if (input.holds !== undefined) return input.holds ? 'breach' : 'clear';
  if (breaches(rule, input.value)) return 'breach';
  return recovered(rule, input.value) ? 'clear' : 'band';
}

/**
 * One evaluation of one instance: inactive → pending → firing → recovering → resolved, with
 * `for` (breaching windows before firing), hysteresis (recover_threshold), `keep_firing_for`
 * (clear windows still firing) and insufficient windows keeping the last state by default.
 * Mutates `st` and returns its transitions (at most two: e.g. inactive → pending → firing).
 */
export function stepInstance(
  rule: AlertRule,
  st: InstanceState,
  input: InstanceInput,
): AlertTransition[] {
  const windowMs = input.windowEnd - input.windowStart;
  const need = Math.max(1, windowsFor(rule.forWindows, windowMs));
  const keep = windowsFor(rule.keepFiringFor, windowMs);
  const verdict = verdictOf(rule, input);
  st.value = input.value;
  st.correction = input.value === null ? null : (input.correction ?? null);
  if (input.criterion) st.criterion = input.criterion;
  st.samples = input.samples;
  st.baseline = input.baseline;
  st.windowStart = input.windowStart;
  st.windowEnd = input.windowEnd;
  // The last window's names, not the first breach's: the notification describes that window.
  // Only instances that ever had names get the property (undefined is left out of the JSON
  // record), so other alerts' objects and records stay as they were; no `delete` on the hot path.
  if (input.details !== undefined || st.details !== undefined) st.details = input.details;
  st.stateReason = input.value === null ? (input.insufficientReason ?? null) : null;
  if (input.value !== null) st.severity = severityFor(rule, input.value);
  const out: AlertTransition[] = [];
  const move = (to: AlertState) => {
    st.seq++;
    out.push(transitionOf(st, rule, st.state, to, input.windowEnd));
    st.state = to === 'resolved' ? 'inactive' : to;
  };
  const fire = () => {
    st.episodeId = stableId('episode', st.fingerprint, input.windowEnd);
    st.startsAt = input.windowEnd;
    st.endsAt = null;
    st.clears = 0;
    st.resolvedPending = false;
    const since = input.windowEnd - rule.flapping.withinMs;
    st.episodeStarts = [...st.episodeStarts.filter((t) => t > since), input.windowEnd].slice(
      -rule.flapping.maxEpisodes,
    );
    if (st.episodeStarts.length >= rule.flapping.maxEpisodes) st.flapping = true;
    move('firing');
    if (st.flapping) {
      st.stateReason = `flapping: ${st.episodeStarts.length} episodes within ${rule.flapping.withinMs / 60_000} min; notifications held until it settles`;
    }
  };

  switch (st.state) {
    case 'inactive':
    case 'pending':
      if (verdict === 'breach') {
        st.breaches++;
        if (st.state === 'inactive' && st.breaches < need) move('pending');
        else if (st.breaches >= need) {
          if (st.state === 'inactive' && need > 1) move('pending');
          fire();
        }
      } else if (verdict !== 'none') {
        st.breaches = 0;
        if (st.state === 'pending') move('inactive');
      }
      break;
    case 'firing':
    case 'recovering':
      if (verdict === 'breach' || verdict === 'band') {
        st.clears = 0;
        if (st.state === 'recovering') move('firing');
      } else if (verdict === 'clear') {
        st.clears++;
        if (st.clears > keep) {
          st.breaches = 0;
          st.endsAt = input.windowEnd;
          st.resolvedPending = st.notified === 'firing';
          move('resolved');
        } else if (st.state === 'firing') move('recovering');
      }
      break;
  }
  const since = input.windowEnd - rule.flapping.withinMs;
  if (st.episodeStarts.length > 0 && (st.episodeStarts[0] ?? 0) <= since) {
    st.episodeStarts = st.episodeStarts.filter((t) => t > since);
  }
  // The guard lifts once no episode has started for `within`.
  if (st.flapping && !out.some((t) => t.to === 'firing')) {
    if (st.episodeStarts.length === 0) st.flapping = false;
  }
  return out;
}

/** Nothing worth keeping: the instance can be forgotten (absent means inactive). */
export function isForgettable(st: InstanceState): boolean {
  return (
    st.state === 'inactive' &&
    !st.resolvedPending &&
    !st.flapping &&
    st.notified === 'none' &&
    st.episodeStarts.length === 0 &&
    st.breaches === 0
  );
}
