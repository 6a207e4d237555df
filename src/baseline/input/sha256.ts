import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { inputError, reason } from './types.js';

/** SHA-256 (hex) of the file's bytes, streamed: a baseline records which data it was built from. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    await pipeline(createReadStream(file), hash);
  } catch (err) {
    throw inputError(file, `cannot read: ${reason(err)}`, err);
  }
  return hash.digest('hex');
}
