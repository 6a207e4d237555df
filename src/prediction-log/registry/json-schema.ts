import { Ajv, type Options, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { mayHoldControls } from '../payload-decoder.js';
import { errorText, mismatch, type SchemaDecode } from './registered-schema.js';

/**
 * Formats are not checked (they need a plugin and say nothing a drift statistic needs); a
 * schema's `$id` is not remembered, so two versions of one schema (same `$id`) compile apart.
 */
const OPTIONS: Options = {
  strict: false,
  validateFormats: false,
  addUsedSchema: false,
  allErrors: false,
  logger: false,
};

/** One validator per draft, made on first use (JSON Schema as the serializer's own, ajv). */
const validators: { draft7?: Ajv; draft2019?: Ajv2019; draft2020?: Ajv2020 } = {};

function compilerFor(schema: unknown): Ajv | Ajv2019 | Ajv2020 {
  const dialect =
    typeof schema === 'object' && schema !== null ? (schema as { $schema?: unknown }).$schema : '';
  if (typeof dialect === 'string' && dialect.includes('2020-12')) {
    return (validators.draft2020 ??= new Ajv2020(OPTIONS));
  }
  if (typeof dialect === 'string' && dialect.includes('2019-09')) {
    return (validators.draft2019 ??= new Ajv2019(OPTIONS));
  }
  return (validators.draft7 ??= new Ajv(OPTIONS));
}

/** JSON Schema: the payload is UTF-8 JSON text, valid against the schema (ajv). */
export function compileJsonSchema(text: string): SchemaDecode {
  const schema: unknown = JSON.parse(text);
  const validate: ValidateFunction = compilerFor(schema).compile(schema as object);
  return (bytes, offset) => {
    const payload = bytes.subarray(offset);
    let value: unknown;
    try {
      value = JSON.parse(payload.toString('utf8'));
    } catch (err) {
      return mismatch('NOT_JSON', `not valid JSON: ${errorText(err)}`);
    }
    if (!validate(value)) {
      const first = validate.errors?.[0];
      const where = first?.instancePath === '' ? 'the message' : first?.instancePath;
      return mismatch(
        'JSON_SCHEMA_INVALID',
        `payload does not match its JSON Schema: ${where ?? 'the message'} ${first?.message ?? 'is invalid'}`,
      );
    }
    return { ok: true, value, controls: mayHoldControls(payload) };
  };
}
