import { z } from 'zod';
import { baselineFileV2Schema } from './file-format.js';

/**
 * JSON Schema of the baseline file (format 2), generated from the zod definition the daemon
 * loads with; `baselines/baseline.schema.json` is the committed copy. Cross-field rules (sums,
 * ascending values, the content hash) are checked by `driftwatch baseline validate`.
 */
export function baselineJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(baselineFileV2Schema, { io: 'input', unrepresentable: 'any' }),
    title: 'driftwatch baseline file, format 2',
  };
}
