import { quantitySchema } from './quantity.js';

/** Decimal units as storage is sold (1 MB = 1,000,000 bytes), binary ones as memory is counted. */
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};
const PATTERN = /^(\d+(?:\.\d+)?)\s*([kmg]i?b|b)$/i;

/** Bytes in a size such as "512KB", "256MB", "1GiB" or "100B"; undefined if malformed. */
export function parseByteSize(text: string): number | undefined {
  const [, amount, unit] = PATTERN.exec(text.trim()) ?? [];
  const bytes = unit === undefined ? undefined : UNIT_BYTES[unit.toLowerCase()];
  return bytes === undefined ? undefined : Math.floor(Number(amount) * bytes);
}

/** A size in config: a string like "256MB" or a number of bytes. */
export const byteSizeSchema = quantitySchema(
  parseByteSize,
  'a size such as "512KB", "256MB" or "1GiB"',
);
