/**
 * The one glob language of driftwatch (rule `match` keys, `rules backtest --model`): `*` any run
 * of characters (none included), `?` exactly one; every other character stands for itself (no
 * classes, no escapes). A character is a UTF-16 code unit, as JavaScript strings count them.
 *
 * Matching never backtracks: a pattern is cut at its stars into segments; the first must match
 * at the start of the value, the last at its end, and each one between is taken at its leftmost
 * place after the previous one. Leftmost leaves the most room for the segments after it, so no
 * choice is ever revisited. The cost is at most (value length × longest segment), where a
 * backtracking regular expression for `*a*a*b` takes exponential-like time on a long value.
 */
export type Matcher = (value: string) => boolean;

const STAR = '*';
const ANY = '?'.charCodeAt(0);

interface Compiled {
  /** Before the first star (the whole pattern when it has none). */
  head: string;
  /** Between stars, empty ones left out. */
  middles: string[];
  /** After the last star; undefined when there is no star. */
  tail: string | undefined;
}

function compile(pattern: string): Compiled {
  const parts = pattern.split(STAR);
  if (parts.length === 1) return { head: pattern, middles: [], tail: undefined };
  return {
    head: parts[0] ?? '',
    middles: parts.slice(1, -1).filter((p) => p.length > 0),
    tail: parts[parts.length - 1] ?? '',
  };
}

/** Whether `segment` matches `value` at `at` (the caller checked that it fits). */
function segmentAt(segment: string, value: string, at: number): boolean {
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c !== ANY && c !== value.charCodeAt(at + i)) return false;
  }
  return true;
}

/** The leftmost start ≥ `from` where `segment` matches and ends by `end`; -1 when none. */
function find(segment: string, value: string, from: number, end: number): number {
  if (!segment.includes('?')) {
    const at = value.indexOf(segment, from);
    return at !== -1 && at + segment.length <= end ? at : -1;
  }
  for (let at = from; at + segment.length <= end; at++) {
    if (segmentAt(segment, value, at)) return at;
  }
  return -1;
}

function matchCompiled(g: Compiled, value: string): boolean {
  if (g.tail === undefined) {
    return value.length === g.head.length && segmentAt(g.head, value, 0);
  }
  const end = value.length - g.tail.length;
  if (end < g.head.length || !segmentAt(g.head, value, 0) || !segmentAt(g.tail, value, end)) {
    return false;
  }
  let from = g.head.length;
  for (const middle of g.middles) {
    const at = find(middle, value, from, end);
    if (at === -1) return false;
    from = at + middle.length;
  }
  return true;
}

/** Whether `value` matches the glob `pattern`. */
export function globMatches(pattern: string, value: string): boolean {
  return matchCompiled(compile(pattern), value);
}

/** A matcher for a glob or a list of globs (a value matches when any matches). */
export function compileGlob(patterns: string | readonly string[]): Matcher {
  const list = typeof patterns === 'string' ? [patterns] : patterns;
  if (list.some((p) => p.length > 0 && [...p].every((c) => c === STAR))) return () => true;
  // Plain names (the common case) are a set lookup.
  if (list.every((p) => !p.includes(STAR) && !p.includes('?'))) {
    const names = new Set(list);
    return (value) => names.has(value);
  }
  const compiled = list.map(compile);
  return (value) => compiled.some((g) => matchCompiled(g, value));
}

/** The characters every match starts with: the pattern up to its first wildcard. */
export function globLiteralPrefix(pattern: string): string {
  const wildcard = pattern.search(/[*?]/);
  return wildcard === -1 ? pattern : pattern.slice(0, wildcard);
}
