import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DriftwatchError } from '../errors.js';

/** Why a file in the baselines directory is not read; a bounded set (a metric label). */
export const REFUSAL_REASONS = [
  'not_regular_file',
  'symlink_outside_dir',
  'broken_symlink',
  'too_large',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

const REFUSAL_TEXT: Record<RefusalReason, string> = {
  not_regular_file: 'not a regular file (a FIFO, socket, device or directory is never opened)',
  symlink_outside_dir: 'a symlink to outside the baselines directory',
  broken_symlink: 'a symlink to nothing',
  too_large: 'larger than baselines.maxFileSize',
};

/** A file refused for what it is (type, place, size), never for its content, which is unread. */
export class BaselineFileRefused extends DriftwatchError {
  readonly reason: RefusalReason;
  readonly file: string;
  /** Context for the log line (sizes, the symlink's target): never the file's bytes. */
  readonly detail: Record<string, string | number>;

  constructor(file: string, reason: RefusalReason, detail: Record<string, string | number> = {}) {
    const extra = Object.entries(detail).map(([k, v]) => `${k} ${v}`);
    super(
      'BASELINE_REFUSED',
      `${file}: refused, ${REFUSAL_TEXT[reason]}${extra.length ? ` (${extra.join(', ')})` : ''}`,
    );
    this.name = 'BaselineFileRefused';
    this.reason = reason;
    this.file = file;
    this.detail = detail;
  }
}

/**
 * `scanned`: a file found in the baselines directory: it must be a regular file and is opened
 * without following a symlink or waiting for a FIFO's writer. `named`: a path a person gave
 * the CLI, read like `cat` would (`validate <(…)` keeps working).
 */
export type ReadMode = 'scanned' | 'named';

const SCANNED_FLAGS =
  constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);

/** Bytes read per call once a file turns out longer than its stat said (or is a pipe). */
const CHUNK = 64 * 1024;

/**
 * Reads a whole file of at most `maxBytes`, asynchronously. What decides is the opened
 * handle's own stat, so a file swapped for a FIFO or a huge one after the directory was
 * listed is still refused before a byte is read; a file growing while read stops at the limit.
 */
export async function readBoundedFile(
  file: string,
  maxBytes: number,
  mode: ReadMode,
): Promise<Buffer> {
  let handle: FileHandle;
  try {
    handle = await open(file, mode === 'scanned' ? SCANNED_FLAGS : constants.O_RDONLY);
  } catch (err) {
    // O_NOFOLLOW: the path became a symlink after it was listed.
    if ((err as NodeJS.ErrnoException).code === 'ELOOP' && mode === 'scanned') {
      throw new BaselineFileRefused(file, 'not_regular_file');
    }
    throw new DriftwatchError('BASELINE_INVALID', `${file}: ${(err as Error).message}`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() && mode === 'scanned') throw new BaselineFileRefused(file, 'not_regular_file');
    if (st.isFile() && st.size > maxBytes) {
      throw new BaselineFileRefused(file, 'too_large', { bytes: st.size, limit: maxBytes });
    }
    return await readAtMost(handle, file, st.isFile() ? st.size : CHUNK, maxBytes);
  } catch (err) {
    if (err instanceof DriftwatchError) throw err;
    throw new DriftwatchError('BASELINE_INVALID', `${file}: ${(err as Error).message}`);
  } finally {
    await handle.close();
  }
}

async function readAtMost(
  handle: FileHandle,
  file: string,
  expected: number,
  maxBytes: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  // The whole expected size in one buffer (no copy to join chunks), plus a byte to see growth.
  let want = expected + 1;
  for (;;) {
    const buffer = Buffer.allocUnsafe(Math.min(want, maxBytes + 1 - total));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
    if (bytesRead === 0) break;
    chunks.push(buffer.subarray(0, bytesRead));
    total += bytesRead;
    if (total > maxBytes) {
      throw new BaselineFileRefused(file, 'too_large', {
        bytes: `more than ${maxBytes}`,
        limit: maxBytes,
      });
    }
    want = CHUNK;
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
}
