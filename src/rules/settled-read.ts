import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';

/** One look at a file: its text, or why it could not be read. */
export interface FileRead {
  /** Size, mtime and content hash (or the read error): equal for two reads of the same file. */
  fingerprint: string;
  text: string | undefined;
  error: unknown;
}

export async function readFileState(file: string): Promise<FileRead> {
  try {
    const { size, mtimeMs } = await stat(file);
    const bytes = await readFile(file);
    const hash = createHash('sha256').update(bytes).digest('hex');
    return {
      fingerprint: `${size}:${mtimeMs}:${hash}`,
      text: bytes.toString('utf8'),
      error: undefined,
    };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { fingerprint: `error:${code}`, text: undefined, error: err };
  }
}

export interface SettleOptions {
  read: () => Promise<FileRead>;
  sleep: (ms: number) => Promise<void>;
  /** How long the file must stay the same. */
  settleMs: number;
  /** Reads that differ from the one before, in a row, before giving up. */
  maxChanges: number;
  stopped: () => boolean;
}

export type Settled =
  | { kind: 'settled'; read: FileRead }
  | { kind: 'unsettled'; changes: number }
  | { kind: 'stopped' };

/**
 * Reads the file until two reads a settle period apart agree (size, mtime, content): a writer
 * that rewrites it in place, in pieces, is not read halfway — unless it pauses longer than the
 * settle period, which the caller's confirming read covers where it matters.
 */
export async function readSettled(o: SettleOptions): Promise<Settled> {
  let previous = await o.read();
  for (let changes = 0; changes < o.maxChanges; changes++) {
    const current = await readAfterSettling(o);
    if (current === undefined) return { kind: 'stopped' };
    if (current.fingerprint === previous.fingerprint) return { kind: 'settled', read: current };
    previous = current;
  }
  return { kind: 'unsettled', changes: o.maxChanges };
}

/** One more read a settle period later; undefined when stopped meanwhile. */
export async function readAfterSettling(o: SettleOptions): Promise<FileRead | undefined> {
  await o.sleep(o.settleMs);
  if (o.stopped()) return undefined;
  return o.read();
}
