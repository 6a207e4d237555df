import type { Stats } from 'node:fs';
import { lstat, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { DriftwatchError } from '../errors.js';
import { BaselineFileRefused } from './file-read.js';

/** A `*.json` entry worth reading: `open` is the path to read (a symlink's resolved target). */
export interface ScannedFile {
  file: string;
  open: string;
  /** Changes whenever the file (or what a symlink points at) does: unchanged files are skipped. */
  stamp: string;
}

export interface ScanResult {
  files: ScannedFile[];
  refused: BaselineFileRefused[];
}

const TEMP_FILE = /\.json\.tmp-\d+-\d+$/;
/** Layout is <model>/<version>.json; deeper trees are not baselines. */
const MAX_DEPTH = 4;

const stampOf = (st: Stats) => `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;

/**
 * Lists the baseline files under `dir` without opening any of them, and without blocking the
 * event loop. Decided on `lstat`, never `stat`: only regular files are candidates; a symlink is
 * one only if it resolves to a regular file inside `dir` (a symlinked directory is not
 * followed: the real one is scanned where it lies, or it lies outside). Everything else
 * named `*.json` is refused, with the reason.
 */
export async function scanBaselineDir(dir: string): Promise<ScanResult> {
  let root: string;
  try {
    root = await realpath(dir);
  } catch (err) {
    throw unreadableDir(dir, err);
  }
  const result: ScanResult = { files: [], refused: [] };
  await walk(dir, root, 0, result);
  return result;
}

async function walk(dir: string, root: string, depth: number, out: ScanResult): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    throw unreadableDir(dir, err);
  }
  for (const name of names) {
    // Temporary files of a build in progress (see writeBaselineFile) are not baselines yet,
    // and the committed schema is not one either.
    if (TEMP_FILE.test(name) || name === 'baseline.schema.json') continue;
    const full = path.join(dir, name);
    const isJson = name.endsWith('.json');
    let st: Stats;
    try {
      st = await lstat(full);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed since the listing
      throw new DriftwatchError('BASELINE_INVALID', `${full}: ${(err as Error).message}`);
    }
    if (st.isDirectory()) {
      if (depth < MAX_DEPTH) await walk(full, root, depth + 1, out);
    } else if (st.isSymbolicLink()) {
      await followLink(full, root, isJson, out);
    } else if (!isJson) {
      continue;
    } else if (st.isFile()) {
      out.files.push({ file: full, open: full, stamp: stampOf(st) });
    } else {
      out.refused.push(new BaselineFileRefused(full, 'not_regular_file'));
    }
  }
}

async function followLink(
  link: string,
  root: string,
  isJson: boolean,
  out: ScanResult,
): Promise<void> {
  let target: string;
  let st: Stats;
  try {
    target = await realpath(link);
    st = await lstat(target); // a realpath has no symlink left in it
  } catch {
    // Missing target, a loop, no permission: nothing to read. Other names were never read.
    if (isJson) out.refused.push(new BaselineFileRefused(link, 'broken_symlink'));
    return;
  }
  const relative = path.relative(root, target);
  // Not startsWith('..'): a Kubernetes ConfigMap keeps its files in `..2026_01_01_…/` inside.
  const inside =
    relative !== '' &&
    relative !== '..' &&
    !relative.startsWith(`..${path.sep}`) &&
    !path.isAbsolute(relative);
  // Directories were followed once: say why one no longer is, if it leads out.
  if (!inside && (isJson || st.isDirectory())) {
    out.refused.push(new BaselineFileRefused(link, 'symlink_outside_dir', { target }));
  } else if (inside && isJson) {
    if (st.isFile())
      out.files.push({ file: link, open: target, stamp: `${target}:${stampOf(st)}` });
    else out.refused.push(new BaselineFileRefused(link, 'not_regular_file', { target }));
  }
}

function unreadableDir(dir: string, err: unknown): DriftwatchError {
  return new DriftwatchError(
    'BASELINE_INVALID',
    `cannot read baselines.dir ${dir}: ${(err as Error).message}`,
  );
}
