import { describe, expect, it } from 'vitest';
import { NUMBER } from '../../src/baseline/cell.js';
import { parseDecimal, scanDecimal } from '../../src/baseline/input/decimal.js';
import { sfc32 } from '../../scripts/sfc32.js';

/** What cell.ts makes of a trimmed text cell's number: Number() of a NUMBER text, else NaN. */
function reference(text: string): number {
  return NUMBER.test(text) ? Number(text) : NaN;
}

/** parseDecimal of the text placed inside a larger buffer (bytes around it must not matter). */
function parsed(text: string): number {
  const buf = Buffer.from(`7,${text},9`, 'latin1');
  return parseDecimal(buf, 2, 2 + text.length);
}

const show = (x: number) => (Object.is(x, -0) ? '-0' : String(x));

function expectSameAsNumber(texts: Iterable<string>): number {
  let checked = 0;
  for (const text of texts) {
    const want = reference(text);
    const got = parsed(text);
    // Object.is: -0 and 0 differ, NaN equals NaN.
    if (!Object.is(got, want)) {
      throw new Error(`${JSON.stringify(text)}: parseDecimal ${show(got)}, Number() ${show(want)}`);
    }
    checked++;
  }
  return checked;
}

function random(seed: number): () => number {
  const next = sfc32(seed);
  return () => next() / 4294967296;
}

describe('parseDecimal', () => {
  it('gives Number() for edge texts: signs, zeros, exponents, long significands, limits', () => {
    const edges = [
      ...['0', '-0', '+0', '00', '-00.000', '0e0', '-0e-999', '0e999', '0.0e+0', '+.0', '-0.'],
      ...['1', '+5', '-7', '007', '0009.500', '.5', '5.', '-.5e-0', '5.e3', '1E5', '1e+5', '2E-3'],
      ...['1e22', '1e23', '1e-22', '1e-23', '9e22', '123456789012345e7', '123456789012345e8'],
      ...['9007199254740991', '9007199254740992', '9007199254740993', '9007199254740994'],
      ...['900719925474099', '9007199254740995', '18014398509481985', '0.1', '0.2', '0.3'],
      ...['3.14159265358979323846264338327950288', '1.00000000000000000000000000001'],
      ...['0.000000000000000000000000001', '1' + '0'.repeat(30), '0.' + '0'.repeat(40) + '1'],
      ...['1e308', '1.7976931348623157e308', '1.7976931348623158e308', '1.8e308', '1e309'],
      ...['-1e400', '1e400', '1e-400', '4.9e-324', '5e-324', '2.4703282292062327e-324'],
      ...['2.4703282292062328e-324', '2.2250738585072011e-308', '2.2250738585072014e-308'],
      ...['1e-320', '123456e-330', '1e00000000000000000000022', '1e-00000000000000000000022'],
      ...['1e99999999999999999999', '1e-99999999999999999999', '8.98846567431158e307'],
      ...['0.1e-21', '12345678901234567890e-20', '4503599627370496.5', '4503599627370497.5'],
      // Not numbers (NaN from both): what the NUMBER pattern refuses, Number() would accept.
      ...['', '.', '-', '+', 'e5', '.e5', '1e', '1e+', '1e-', '1.2.3', '--1', '+-1', '1-'],
      ...['0x10', '0b1', '0o7', 'inf', '-inf', 'Infinity', '-Infinity', 'nan', 'NaN', '1_000'],
      ...['1 000', ' 1', '1 ', '1e5.5', '١٢', '1,5', 'e', 'E', '1ee5', '1e5e5', '++1'],
    ];
    expect(expectSameAsNumber(edges)).toBe(edges.length);
  });

  it('gives Number() for the shortest texts of random doubles, in every notation', () => {
    const rnd = random(7);
    const bits = new DataView(new ArrayBuffer(8));
    const texts: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Any finite double: random bit patterns cover subnormals and both ends of the range.
      bits.setUint32(0, Math.floor(rnd() * 2 ** 32));
      bits.setUint32(4, Math.floor(rnd() * 2 ** 32));
      const x = bits.getFloat64(0);
      if (!Number.isFinite(x)) continue;
      const y = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20);
      for (const v of [x, y]) {
        texts.push(String(v), v.toExponential(), v.toPrecision(1 + Math.floor(rnd() * 21)));
        if (Math.abs(v) < 1e21) texts.push(v.toFixed(Math.floor(rnd() * 30)));
      }
    }
    expect(expectSameAsNumber(texts)).toBe(texts.length);
  });

  it('gives Number() for random texts over the number alphabet', () => {
    const rnd = random(11);
    const pick = (s: string) => s[Math.floor(rnd() * s.length)] as string;
    const texts: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const digits = (n: number) => Array.from({ length: n }, () => pick('0123456789')).join('');
      const sign = () => (rnd() < 0.3 ? pick('+-') : '');
      let text: string;
      if (rnd() < 0.8) {
        // Shaped like a number, with 0–25 digits on either side and an exponent of 0–4 digits.
        const int = digits(Math.floor(rnd() * (rnd() < 0.5 ? 6 : 26)));
        const frac = rnd() < 0.6 ? `.${digits(Math.floor(rnd() * (rnd() < 0.5 ? 6 : 26)))}` : '';
        const exp = rnd() < 0.4 ? `${pick('eE')}${sign()}${digits(Math.floor(rnd() * 5))}` : '';
        text = `${sign()}${int}${frac}${exp}`;
      } else {
        text = Array.from({ length: Math.floor(rnd() * 8) }, () => pick('0123456789.eE+-x ')).join(
          '',
        );
      }
      texts.push(text);
    }
    expect(expectSameAsNumber(texts)).toBe(texts.length);
  });

  it('scanDecimal reads a field up to a delimiter as the whole field, or not at all', () => {
    // What the CSV reader relies on: a number followed by a comma or line feed is the field's
    // whole text, with Number()'s value; any other field is left to be cut and read after.
    const rnd = random(13);
    const pick = (s: string) => s[Math.floor(rnd() * s.length)] as string;
    const out = { end: -1 };
    for (let i = 0; i < 50_000; i++) {
      const text = Array.from({ length: Math.floor(rnd() * 10) }, () =>
        pick('0123456789.eE+- x'),
      ).join('');
      for (const delimiter of [',', '\n']) {
        const buf = Buffer.from(`${text}${delimiter}7`, 'latin1');
        out.end = -1;
        const x = scanDecimal(buf, 0, buf.length, out);
        const whole = x === x && out.end === text.length;
        const want = reference(text);
        if (whole !== (want === want) || (whole && !Object.is(x, want))) {
          throw new Error(`${JSON.stringify(text)}: scanDecimal ${show(x)} to ${out.end}`);
        }
      }
    }
  });
});
