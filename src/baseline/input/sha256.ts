import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { inputError, reason } from './types.js';

/** Bytes hashed at a time: one buffer for the whole file, no garbage per chunk. */
const CHUNK_BYTES = 1 << 20;

/** SHA-256 (hex) of the file's bytes, streamed: a baseline records which data it was built from. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    // A stream would allocate a 64 KiB buffer per chunk (2,500 for a 160 MB file) and cost
    // the event loop more than the hashing does.
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
    }
  } catch (err) {
    throw inputError(file, `cannot read: ${reason(err)}`, err);
  } finally {
    await handle?.close();
  }
  return hash.digest('hex');
}
