import type { WindowsOrDuration } from './rule.js';

/**
 * Model versions that no longer serve. A version is superseded when a newer one (first window
 * later) has kept receiving traffic for `supersedeAfter` past the older one's last window, or
 * when the rules file retires it. Its alerts then resolve with that reason and it never raises
 * `stale`: a rollout is not an outage. Derived from the windows seen, so a restore and a
 * backtest find the same versions superseded at the same event time, and a rollback (the old
 * version receiving windows again) makes it live again.
 */
export interface VersionPolicy {
  /** How long a newer version must be served alone (windows of the older one, or a duration). */
  supersedeAfter: WindowsOrDuration;
  /** Whether a superseded version's resolutions are notified (one message per group). */
  notify: boolean;
  /** Versions retired by hand: never evaluated, never stale, their alerts resolved. */
  retired: readonly RetiredVersion[];
}

export interface RetiredVersion {
  model: string;
  version: string;
}

export const DEFAULT_VERSION_POLICY: VersionPolicy = {
  supersedeAfter: 2,
  notify: true,
  retired: [],
};

/** What the engine knows of one model version's windows (event time). */
export interface VersionSpan {
  model: string;
  version: string;
  /** Start of its first window evaluated. */
  first: number;
  /** End of its newest window evaluated. */
  last: number;
  /** Length of its newest window (turns a window count into time). */
  windowMs: number;
}

/** Why a version's alerts end: shown as the resolution's reason in every body. */
export interface Supersession {
  model: string;
  version: string;
  reason: string;
}

export const isRetired = (policy: VersionPolicy, model: string, version: string): boolean =>
  policy.retired.some((r) => r.model === model && r.version === version);

/**
 * The versions superseded or retired now, keyed `model\0version`, given every version's span
 * (in any order: the result does not depend on it).
 */
export function supersededVersions(
  spans: Iterable<VersionSpan>,
  policy: VersionPolicy,
  sep: string,
): Map<string, Supersession> {
  const byModel = new Map<string, VersionSpan[]>();
  for (const s of spans) {
    const list = byModel.get(s.model);
    if (list) list.push(s);
    else byModel.set(s.model, [s]);
  }
  const out = new Map<string, Supersession>();
  for (const r of policy.retired) {
    out.set(`${r.model}${sep}${r.version}`, {
      model: r.model,
      version: r.version,
      reason: 'superseded: version retired in the rules file',
    });
  }
  for (const versions of byModel.values()) {
    for (const old of versions) {
      const key = `${old.model}${sep}${old.version}`;
      if (out.has(key)) continue;
      // A window count needs the window's length; records from before it was kept have none.
      if (old.windowMs === 0 && typeof policy.supersedeAfter === 'number') continue;
      const waitMs =
        typeof policy.supersedeAfter === 'number'
          ? policy.supersedeAfter * old.windowMs
          : policy.supersedeAfter.ms;
      const by = newestSuccessor(versions, old, waitMs);
      if (!by) continue;
      out.set(key, {
        model: old.model,
        version: old.version,
        reason:
          `superseded: version ${by.version} receives the traffic ` +
          `(its first window ${new Date(by.first).toISOString()}, none of this version since ${new Date(old.last).toISOString()})`,
      });
    }
  }
  return out;
}

/** The newest version first served after `old` that was served alone for `waitMs` since. */
function newestSuccessor(
  versions: readonly VersionSpan[],
  old: VersionSpan,
  waitMs: number,
): VersionSpan | undefined {
  let best: VersionSpan | undefined;
  for (const v of versions) {
    if (v === old || v.first <= old.first) continue;
    if (v.last - old.last < Math.max(waitMs, 1)) continue;
    if (!best || v.first > best.first || (v.first === best.first && v.version > best.version)) {
      best = v;
    }
  }
  return best;
}
