import { DriftwatchError } from '../errors.js';

/**
 * The primitives of the partials format: unsigned LEB128 varints (integers up to 2^53 − 1,
 * minimal encoding only), big-endian IEEE float64 (copied as bits, never through text),
 * bytes, and strings as a varint byte length plus UTF-8.
 */

const FLOAT_BYTES = 8;

/** Appends to a buffer that grows by doubling. */
export class ByteWriter {
  private bytes = Buffer.allocUnsafe(1024);
  private view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  private at = 0;

  private reserve(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.at + n));
    this.bytes.copy(grown, 0, 0, this.at);
    this.bytes = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  u8(value: number): void {
    this.reserve(1);
    this.bytes[this.at++] = value;
  }

  /** A count or an index: throws RangeError for anything but an integer in [0, 2^53). */
  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`partials: ${value} is not a non-negative integer`);
    }
    this.reserve(8);
    let rest = value;
    while (rest >= 0x80) {
      this.bytes[this.at++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.bytes[this.at++] = rest;
  }

  f64(value: number): void {
    this.reserve(FLOAT_BYTES);
    this.view.setFloat64(this.at, value);
    this.at += FLOAT_BYTES;
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.at, value);
    this.at += 4;
  }

  string(value: string): void {
    const length = Buffer.byteLength(value, 'utf8');
    this.varint(length);
    this.reserve(length);
    this.at += this.bytes.write(value, this.at, 'utf8');
  }

  /** The bytes written so far (a view: write nothing more after taking it). */
  written(): Buffer {
    return this.bytes.subarray(0, this.at);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads what ByteWriter wrote; any short, malformed or out-of-range input throws
 * PARTIAL_UNREADABLE naming the byte offset, before anything is allocated for it.
 */
export class ByteReader {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private at = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.at;
  }

  fail(what: string, reason: string): never {
    throw new DriftwatchError(
      'PARTIAL_UNREADABLE',
      `partials record unreadable at byte ${this.at}: ${what} ${reason}`,
    );
  }

  private need(n: number, what: string): void {
    if (this.remaining < n) this.fail(what, `needs ${n} bytes, ${this.remaining} left`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.at++] as number;
  }

  varint(what: string): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      this.need(1, what);
      const byte = this.bytes[this.at++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (byte === 0 && i > 0) this.fail(what, 'is not minimally encoded');
        if (!Number.isSafeInteger(value)) this.fail(what, 'exceeds 2^53 − 1');
        return value;
      }
      scale *= 0x80;
      if (i === 7) this.fail(what, 'exceeds 2^53 − 1');
    }
  }

  /**
   * A varint count of entries each taking at least `minBytes` bytes: more than the rest of
   * the record could hold means corrupt input, not an allocation to make.
   */
  count(what: string, minBytes: number, max = Infinity): number {
    const n = this.varint(what);
    if (n > max) this.fail(what, `is ${n}, at most ${max}`);
    if (n * minBytes > this.remaining) {
      this.fail(what, `is ${n}, but only ${this.remaining} bytes follow`);
    }
    return n;
  }

  /** An index below `bound`. */
  index(what: string, bound: number): number {
    const i = this.varint(what);
    if (i >= bound) this.fail(what, `is ${i}, must be below ${bound}`);
    return i;
  }

  f64(what: string): number {
    this.need(FLOAT_BYTES, what);
    const value = this.view.getFloat64(this.at);
    this.at += FLOAT_BYTES;
    return value;
  }

  string(what: string): string {
    const length = this.count(what, 1);
    const start = this.at;
    this.at += length;
    try {
      return utf8.decode(this.bytes.subarray(start, this.at));
    } catch {
      this.at = start;
      return this.fail(what, 'is not valid UTF-8');
    }
  }

  /** Throws unless every byte was read. */
  end(what: string): void {
    if (this.remaining > 0) this.fail(what, `is followed by ${this.remaining} unread bytes`);
  }
}
