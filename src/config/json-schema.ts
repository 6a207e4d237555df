import { z } from 'zod';
import { configSchema } from './schema.js';

/**
 * JSON Schema of the config file, generated from the same zod definition the daemon validates
 * with (editors use it for completion and checks; `driftwatch.schema.json` is the committed copy).
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input' }),
    title: 'driftwatch configuration',
  };
}
