import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The folder layout is the architecture (ARCHITECTURE.md): folders may depend on each other
 * only one way, and the pure cores stay pure. A folder is the first two path segments under
 * src/ (`src/ingest`), or a top-level folder (`detectors`, `alert-engine`) with its subfolders.
 * `src/cli` holds the entry points (may import everything, imported by nothing); the top-level
 * files of src/ are `src` (errors, logger, metrics…: imported by anyone, importing no folder).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCANNED = ['src', 'detectors', 'alert-engine'];
/** Statistics and the alert engine: no I/O, clock or randomness (same input, same output). */
const PURE = ['detectors', 'alert-engine'];
/** The only packages the pure cores may import: hashing is deterministic. */
const PURE_PACKAGES = new Set(['node:crypto']);
const IMPURE_CALLS =
  /\bDate\.now\(|\bMath\.random\(|\bnew Date\(\)|\bperformance\.now\(|\brandom(UUID|Bytes|Int)\(|\bprocess\.(env|hrtime)\b/;

interface SourceFile {
  file: string;
  folder: string;
  /** Relative imports, resolved to repository paths; package imports as written. */
  relative: string[];
  packages: string[];
  code: string;
}

function folderOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] !== 'src') return parts[0] as string;
  if (parts.length === 2) return 'src';
  return `src/${parts[1]}`;
}

/** Code without comments, so a comment mentioning Date.now() or an import is no finding. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function readSources(): SourceFile[] {
  const out: SourceFile[] = [];
  for (const top of SCANNED) {
    if (!existsSync(path.join(ROOT, top))) continue;
    const entries = readdirSync(path.join(ROOT, top), { recursive: true, encoding: 'utf8' });
    for (const entry of entries) {
      if (!entry.endsWith('.ts')) continue;
      const file = path.posix.join(top, entry.split(path.sep).join('/'));
      const code = withoutComments(readFileSync(path.join(ROOT, file), 'utf8'));
      const specifiers = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)'([^']+)'/gm)]
        .map((m) => m[1] as string)
        .concat(
          [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)"([^"]+)"/gm)].map(
            (m) => m[1] as string,
          ),
        );
      const relative = specifiers
        .filter((s) => s.startsWith('.'))
        .map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(file), s)));
      const packages = specifiers.filter((s) => !s.startsWith('.'));
      out.push({ file, folder: folderOf(file), relative, packages, code });
    }
  }
  return out;
}

/** One import per folder edge (the first found), to show where an edge comes from. */
function folderEdges(sources: SourceFile[]): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>();
  for (const s of sources) {
    for (const target of s.relative) {
      const to = folderOf(target);
      if (to === s.folder) continue;
      const from = edges.get(s.folder) ?? new Map<string, string>();
      edges.set(s.folder, from);
      if (!from.has(to)) from.set(to, `${s.file} → ${target}`);
    }
  }
  return edges;
}

/** Every elementary cycle reachable, found by depth-first search (first one per back edge). */
function findCycles(edges: Map<string, Map<string, string>>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of [...(edges.get(node)?.keys() ?? [])].sort()) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...edges.keys()].sort()) if (state.get(node) === undefined) visit(node);
  return cycles;
}

function describeCycle(cycle: string[], edges: Map<string, Map<string, string>>): string {
  const hops = cycle
    .slice(0, -1)
    .map((from, i) => `    ${edges.get(from)?.get(cycle[i + 1] as string)}`);
  return `${cycle.join(' → ')}\n${hops.join('\n')}`;
}

const sources = readSources();
const edges = folderEdges(sources);

describe('architecture: folders depend one way, pure cores stay pure', () => {
  it('finds the sources and the pure cores', () => {
    expect(sources.length).toBeGreaterThan(100);
    for (const core of PURE)
      expect(
        sources.some((s) => s.folder === core),
        core,
      ).toBe(true);
  });

  it('has no cycle among folders', () => {
    const cycles = findCycles(edges).map((c) => describeCycle(c, edges));
    expect(cycles, `folder cycles:\n${cycles.join('\n')}`).toEqual([]);
  });

  it('imports no entry point (src/cli/)', () => {
    const offenders = sources
      .filter((s) => s.folder !== 'src/cli')
      .flatMap((s) =>
        s.relative.filter((t) => folderOf(t) === 'src/cli').map((t) => `${s.file} → ${t}`),
      );
    expect(offenders).toEqual([]);
  });

  it('keeps the top-level helpers of src/ (errors, logger, metrics…) free of folder imports', () => {
    const offenders = sources
      .filter((s) => s.folder === 'src')
      .flatMap((s) =>
        s.relative.filter((t) => folderOf(t) !== 'src').map((t) => `${s.file} → ${t}`),
      );
    expect(offenders).toEqual([]);
  });

  it('keeps the pure cores free of I/O folders and I/O packages', () => {
    const offenders = sources
      .filter((s) => PURE.includes(s.folder))
      .flatMap((s) => [
        ...s.relative.filter((t) => !PURE.includes(folderOf(t))).map((t) => `${s.file} → ${t}`),
        ...s.packages.filter((p) => !PURE_PACKAGES.has(p)).map((p) => `${s.file} → ${p}`),
      ]);
    expect(offenders).toEqual([]);
  });

  it('keeps the pure cores free of the clock and of randomness', () => {
    const offenders = sources
      .filter((s) => PURE.includes(s.folder))
      .flatMap((s) =>
        s.code
          .split('\n')
          .filter((line) => IMPURE_CALLS.test(line))
          .map((line) => `${s.file}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });
});
