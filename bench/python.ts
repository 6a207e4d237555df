/**
 * The Python side of the in-process benches: a venv the bench does not install itself (its
 * install command is printed instead), inputs handed over as raw little-endian files in a temp
 * dir, and one JSON object read back from the script's stdout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PythonEnv {
  /** Interpreter used when $DRIFTWATCH_PYTHON is unset. */
  defaultPython: string;
  /** A statement that fails unless every package the script needs imports. */
  probe: string;
  /** What the packages are, for the message when they are missing. */
  needs: string;
}

/** The interpreter to use, or why there is none. */
export function findPython(env: PythonEnv): { python: string } | { missing: string } {
  const candidate = process.env.DRIFTWATCH_PYTHON ?? env.defaultPython;
  if (!process.env.DRIFTWATCH_PYTHON && !existsSync(env.defaultPython)) {
    return { missing: `no $DRIFTWATCH_PYTHON and no ${env.defaultPython}` };
  }
  const probe = spawnSync(candidate, ['-c', env.probe], { encoding: 'utf8' });
  if (probe.error) return { missing: `${candidate}: ${probe.error.message}` };
  if (probe.status !== 0) return { missing: `${candidate} cannot import ${env.needs}` };
  return { python: candidate };
}

/** `name` + an extension by element type (.f64, .i32), raw little-endian bytes. */
export function writeRaw(dir: string, name: string, v: Float64Array | Int32Array): void {
  if (os.endianness() !== 'LE') throw new Error('raw input files assume a little-endian host');
  const ext = v instanceof Float64Array ? 'f64' : 'i32';
  writeFileSync(
    path.join(dir, `${name}.${ext}`),
    new Uint8Array(v.buffer, v.byteOffset, v.byteLength),
  );
}

/**
 * Writes the inputs into a fresh temp dir, runs `python script dir`, parses its stdout as JSON
 * and removes the dir; a failing script gives its exit status instead.
 */
export function runPythonScript<T>(
  python: string,
  script: string,
  write: (dir: string) => void,
): { ok: T } | { failed: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-'));
  try {
    write(dir);
    const child = spawnSync(python, [script, dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    });
    if (child.status !== 0) return { failed: `exit ${child.status ?? child.signal}` };
    return { ok: JSON.parse(child.stdout) as T };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
