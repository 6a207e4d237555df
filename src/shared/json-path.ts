/**
 * Paths into a decoded message, written in the config as a JSON Pointer (RFC 6901: `/a/b/0`,
 * `~1` for a `/` and `~0` for a `~` inside a key, `""` for the whole message) or as a dotted
 * path (`a.b.0`). A dotted path has no escape: a key holding a dot is written as a pointer.
 * A segment indexes an array when it is a canonical non-negative integer (`0`, `12`).
 */

/** A path parsed once at start-up; `get` walks it without parsing anything. */
export interface CompiledPath {
  /** As written in the config: reasons name it so users find the key they wrote. */
  readonly text: string;
  get(root: unknown): unknown;
  /** How the path to `key` inside this path's value is written, in the same syntax. */
  child(key: string | number): string;
}

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/** The segments of a path, or why it is not one (for the config error). */
export function parsePath(text: string): string[] | { error: string } {
  if (text === '') return [];
  if (text.startsWith('/')) {
    const segments = text.slice(1).split('/');
    for (const s of segments) {
      if (/~[^01]|~$/.test(s)) {
        return { error: `"${text}" is not a JSON Pointer: "~" must be followed by 0 or 1` };
      }
    }
    return segments.map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  }
  const segments = text.split('.');
  if (segments.some((s) => s === '')) {
    return {
      error: `"${text}" has an empty segment (a key containing "." is written as a JSON Pointer, e.g. "/a.b")`,
    };
  }
  return segments;
}

function step(value: unknown, segment: string): unknown {
  if (Array.isArray(value)) return ARRAY_INDEX.test(segment) ? value[Number(segment)] : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  // Own keys only: "constructor" or "__proto__" must not reach Object.prototype.
  return Object.hasOwn(value, segment) ? (value as Record<string, unknown>)[segment] : undefined;
}

/** Compiles a path that parsePath accepted (the config schema checked it). */
export function compilePath(text: string): CompiledPath {
  const parsed = parsePath(text);
  if (!Array.isArray(parsed)) throw new Error(parsed.error);
  const segments = parsed;
  const pointer = text === '' || text.startsWith('/');
  const child = (key: string | number) =>
    pointer
      ? `${text}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`
      : `${text}.${String(key)}`;
  const [first, second] = segments;
  let get: (root: unknown) => unknown;
  // The common depths get a closure without a loop; the rest walk the segment list.
  if (first === undefined) get = (root) => root;
  else if (segments.length === 1) get = (root) => step(root, first);
  else if (segments.length === 2) get = (root) => step(step(root, first), second as string);
  else {
    get = (root) => {
      let value = root;
      for (const s of segments) {
        value = step(value, s);
        if (value === undefined) return undefined;
      }
      return value;
    };
  }
  return { text: text === '' ? '""' : text, get, child };
}
