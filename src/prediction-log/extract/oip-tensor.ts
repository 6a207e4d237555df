import { preview } from '../../shared/untrusted-text.js';
import type { FeatureValue } from '../prediction-log.js';
import { refuse, type ExtractFailure } from './extractor.js';

/**
 * One Open Inference Protocol (V2) tensor, checked and flattened: `rows` is the first dimension
 * (the batch), `width` the values per row (the product of the other dimensions), `values` the
 * data in row-major order.
 */
export interface Tensor {
  name: string;
  datatype: string;
  rows: number;
  width: number;
  values: readonly FeatureValue[];
}

type Check = (v: unknown) => boolean;

const integer =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const float: Check = (v) => typeof v === 'number';

/** The V2 datatypes and what a JSON value of each must be (64-bit integers as JSON numbers). */
const DATATYPES: ReadonlyMap<string, Check> = new Map([
  ['BOOL', (v: unknown) => typeof v === 'boolean'],
  ['UINT8', integer(0, 255)],
  ['UINT16', integer(0, 65_535)],
  ['UINT32', integer(0, 4_294_967_295)],
  ['UINT64', integer(0, Number.MAX_VALUE)],
  ['INT8', integer(-128, 127)],
  ['INT16', integer(-32_768, 32_767)],
  ['INT32', integer(-2_147_483_648, 2_147_483_647)],
  ['INT64', integer(-Number.MAX_VALUE, Number.MAX_VALUE)],
  ['FP16', float],
  ['BF16', float],
  ['FP32', float],
  ['FP64', float],
  ['BYTES', (v: unknown) => typeof v === 'string'],
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Flattens `data` into `out`: either already flat (length = product of the shape), or nested
 * lists whose lengths follow the shape level by level. Returns why not, or undefined.
 */
function flatten(
  data: readonly unknown[],
  shape: readonly number[],
  where: string,
  out: unknown[],
): string | undefined {
  const total = shape.reduce((a, b) => a * b, 1);
  if (!data.some(Array.isArray)) {
    if (data.length === total) {
      for (const v of data) out.push(v);
      return undefined;
    }
    if (shape.length <= 1 || data.length !== shape[0]) {
      return `${where}/data has ${data.length} values, shape [${shape.join(', ')}] needs ${total}`;
    }
  }
  const walk = (list: unknown, depth: number, path: string): string | undefined => {
    if (depth === shape.length) {
      if (Array.isArray(list)) return `${path} is a list deeper than shape [${shape.join(', ')}]`;
      out.push(list);
      return undefined;
    }
    if (!Array.isArray(list) || list.length !== shape[depth]) {
      const got = Array.isArray(list) ? `${list.length} values` : 'a single value';
      return `${path} has ${got}, shape [${shape.join(', ')}] needs ${String(shape[depth])} at depth ${depth + 1}`;
    }
    for (let i = 0; i < list.length; i++) {
      const failure = walk(list[i], depth + 1, `${path}/${i}`);
      if (failure) return failure;
    }
    return undefined;
  };
  return walk(data, 0, `${where}/data`);
}

/** Checks one tensor of `inputs` or `outputs` (`where`: its JSON Pointer, for reasons). */
export function readTensor(raw: unknown, where: string): Tensor | ExtractFailure {
  if (!isObject(raw)) return refuse('OIP_INVALID', `${where} is not a tensor object`);
  const { name, shape, datatype, data } = raw;
  if (typeof name !== 'string' || name.length === 0) {
    return refuse('OIP_INVALID', `${where}/name: expected a non-empty string`);
  }
  if (
    !Array.isArray(shape) ||
    !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)
  ) {
    return refuse('OIP_INVALID', `${where}/shape (${preview(name)}): expected a list of sizes`);
  }
  const check = typeof datatype === 'string' ? DATATYPES.get(datatype) : undefined;
  if (check === undefined) {
    return refuse(
      'OIP_DATATYPE',
      `${where}/datatype (${preview(name)}) is ${typeof datatype === 'string' ? preview(datatype) : String(datatype)}: expected one of ${[...DATATYPES.keys()].join(', ')}`,
    );
  }
  if (!Array.isArray(data)) {
    return refuse('OIP_INVALID', `${where}/data (${preview(name)}): expected a list`);
  }
  const dims = shape as number[];
  const values: unknown[] = [];
  const mismatch = flatten(data, dims, where, values);
  if (mismatch) return refuse('OIP_SHAPE_MISMATCH', `tensor ${preview(name)}: ${mismatch}`);
  for (let i = 0; i < values.length; i++) {
    if (!check(values[i])) {
      return refuse(
        'OIP_DATATYPE',
        `tensor ${preview(name)} value ${i} is ${JSON.stringify(values[i])?.slice(0, 40)}: not ${datatype as string}`,
      );
    }
  }
  const rows = dims.length === 0 ? 1 : (dims[0] as number);
  const width = dims.slice(1).reduce((a, b) => a * b, 1);
  return { name, datatype: datatype as string, rows, width, values: values as FeatureValue[] };
}
