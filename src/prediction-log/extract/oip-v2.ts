import type { MappingConfig, OipConfig } from '../../config/input.js';
import { preview } from '../../shared/untrusted-text.js';
import { checkLimits, type FeatureValue, type PredictionLog } from '../prediction-log.js';
import { refuse, type EventExtractor, type ExtractFailure, type Extraction } from './extractor.js';
import { compileIdentity } from './identity.js';
import { readTensor, type Tensor } from './oip-tensor.js';

/**
 * The Open Inference Protocol (V2) preset (README "Open Inference Protocol"). A message is
 * - a pair: `{ "request": { "inputs": [...] }, "response": { "model_name", "outputs": [...] } }`
 *   (plus an optional top-level `timestamp`),
 * - a request alone: `{ "inputs": [...] }` (KServe's request CloudEvent, MLServer's input topic),
 * - a response alone: `{ "model_name", "outputs": [...] }`.
 * Every row of the batch (the first dimension) is one event: inputs become features, the
 * prediction output becomes the prediction.
 */

/** Where the preset looks when the mapping does not say: body first, then CloudEvents headers. */
const DEFAULTS: Required<Pick<MappingConfig, 'model' | 'version' | 'timestamp' | 'id'>> = {
  model: [
    '/response/model_name',
    '/model_name',
    '/request/model_name',
    { header: 'ce_inferenceservicename' },
    { header: 'ce-inferenceservicename' },
  ],
  version: ['/response/model_version', '/model_version', '/request/model_version'],
  timestamp: [{ path: '/timestamp', unit: 'auto' }, { kafkaTimestamp: true }],
  id: ['/response/id', '/request/id', '/id', { header: 'ce_id' }, { header: 'ce-id' }],
};

type Kind = 'pair' | 'request' | 'response';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The request and response parts of a message, with the JSON Pointer of each. */
function parts(value: unknown): { kind: Kind; request?: Part; response?: Part } | undefined {
  if (!isObject(value)) return undefined;
  if (isObject(value.request) || isObject(value.response)) {
    const request = isObject(value.request) ? { body: value.request, at: '/request' } : undefined;
    const response = isObject(value.response)
      ? { body: value.response, at: '/response' }
      : undefined;
    const kind = request && response ? 'pair' : request ? 'request' : 'response';
    return { kind, request, response };
  }
  if ('inputs' in value && 'outputs' in value) {
    return { kind: 'pair', request: { body: value, at: '' }, response: { body: value, at: '' } };
  }
  if ('inputs' in value) return { kind: 'request', request: { body: value, at: '' } };
  if ('outputs' in value) return { kind: 'response', response: { body: value, at: '' } };
  return undefined;
}

interface Part {
  body: Record<string, unknown>;
  at: string;
}

function tensors(part: Part, key: 'inputs' | 'outputs'): Tensor[] | ExtractFailure {
  const list = part.body[key];
  const where = `${part.at}/${key}`;
  if (!Array.isArray(list)) return refuse('OIP_INVALID', `${where}: expected a list of tensors`);
  const out: Tensor[] = [];
  for (let i = 0; i < list.length; i++) {
    const tensor = readTensor(list[i], `${where}/${i}`);
    if ('ok' in tensor) return tensor;
    out.push(tensor);
  }
  return out;
}

/** The column names of a tensor: itself when one value per row, else configured or numbered. */
function columns(tensor: Tensor, names: OipConfig['featureNames']): string[] | ExtractFailure {
  const configured = Object.hasOwn(names, tensor.name) ? names[tensor.name] : undefined;
  if (configured) {
    if (configured.length !== tensor.width) {
      return refuse(
        'OIP_SHAPE_MISMATCH',
        `tensor ${preview(tensor.name)} has ${tensor.width} values per row, input.mapping.oip.featureNames lists ${configured.length}`,
      );
    }
    return configured;
  }
  if (tensor.width === 1) return [tensor.name];
  return Array.from({ length: tensor.width }, (_, j) => `${tensor.name}_${j}`);
}

function batchMismatch(a: Tensor, b: Tensor): ExtractFailure {
  return refuse(
    'OIP_BATCH_MISMATCH',
    `tensor ${preview(a.name)} has ${a.rows} rows but ${preview(b.name)} has ${b.rows}`,
  );
}

/** Feature rows from the request's inputs: one record per row, or why not. */
function featureRows(
  inputs: Tensor[],
  names: OipConfig['featureNames'],
): Record<string, FeatureValue>[] | ExtractFailure {
  const first = inputs[0];
  if (!first) return [];
  const rows: Record<string, FeatureValue>[] = Array.from({ length: first.rows }, () => ({}));
  const seen = new Set<string>();
  for (const tensor of inputs) {
    if (tensor.rows !== first.rows) return batchMismatch(first, tensor);
    const cols = columns(tensor, names);
    if ('ok' in cols) return cols;
    for (const col of cols) {
      if (seen.has(col)) {
        return refuse('FEATURES_MISMATCH', `feature ${preview(col)} comes from two input tensors`);
      }
      seen.add(col);
    }
    for (let r = 0; r < tensor.rows; r++) {
      const row = rows[r] as Record<string, FeatureValue>;
      for (let j = 0; j < cols.length; j++)
        row[cols[j] as string] = tensor.values[r * tensor.width + j] as FeatureValue;
    }
  }
  return rows;
}

type Prediction = PredictionLog['prediction'];

/** The prediction of every row from the chosen output tensor. */
function predictions(
  output: Tensor,
  names: OipConfig['featureNames'],
): Prediction[] | ExtractFailure {
  const out: Prediction[] = [];
  if (output.width === 1) {
    for (let r = 0; r < output.rows; r++) out.push(output.values[r]);
    return out;
  }
  if (output.datatype === 'BYTES' || output.datatype === 'BOOL') {
    return refuse(
      'OIP_DATATYPE',
      `output ${preview(output.name)} has ${output.width} values per row: a prediction of several values must be numbers (class scores), not ${output.datatype}`,
    );
  }
  const cols = columns(output, names);
  if ('ok' in cols) return cols;
  for (let r = 0; r < output.rows; r++) {
    const scores: Record<string, number> = {};
    for (let j = 0; j < cols.length; j++)
      scores[cols[j] as string] = output.values[r * output.width + j] as number;
    out.push(scores);
  }
  return out;
}

export function compileOipV2(config: MappingConfig): EventExtractor {
  const oip: OipConfig = config.oip ?? {
    featureNames: {},
    messages: ['pair', 'request', 'response'],
  };
  const identity = compileIdentity({
    model: config.model ?? DEFAULTS.model,
    version: config.version ?? DEFAULTS.version,
    timestamp: config.timestamp ?? DEFAULTS.timestamp,
    id: config.id ?? DEFAULTS.id,
  });
  const accepted = new Set<Kind>(oip.messages);
  const names = oip.featureNames;
  const none: Extraction = { ok: true, logs: [] };
  return {
    extract(value, controls, message, topic): Extraction {
      const found = parts(value);
      if (!found) {
        return refuse(
          'OIP_INVALID',
          'neither an inference request (inputs) nor a response (outputs), nor { request, response }',
        );
      }
      if (!accepted.has(found.kind)) return none;
      const who = identity(value, message, topic);
      if (!who.ok) return who;
      let rows: Record<string, FeatureValue>[] | undefined;
      if (found.request) {
        const inputs = tensors(found.request, 'inputs');
        if ('ok' in inputs) return inputs;
        const made = featureRows(inputs, names);
        if ('ok' in made) return made;
        rows = made;
      }
      let predicted: Prediction[] | undefined;
      if (found.response) {
        const outputs = tensors(found.response, 'outputs');
        if ('ok' in outputs) return outputs;
        const output =
          oip.prediction === undefined
            ? outputs[0]
            : outputs.find((t) => t.name === oip.prediction);
        if (!output && oip.prediction !== undefined) {
          return refuse(
            'OIP_INVALID',
            `${found.response.at}/outputs has no tensor named ${preview(oip.prediction)} (input.mapping.oip.prediction)`,
          );
        }
        if (output) {
          const made = predictions(output, names);
          if ('ok' in made) return made;
          if (rows && rows.length !== made.length) {
            return refuse(
              'OIP_BATCH_MISMATCH',
              `the request has ${rows.length} rows but output ${preview(output.name)} has ${made.length}`,
            );
          }
          predicted = made;
        }
      }
      const count = rows?.length ?? predicted?.length ?? 0;
      const logs: PredictionLog[] = [];
      for (let r = 0; r < count; r++) {
        const log: PredictionLog = {
          model: who.model,
          model_version: who.model_version,
          timestamp: who.timestamp,
          features: rows?.[r] ?? {},
        };
        if (who.id !== undefined) log.id = who.id;
        if (predicted) log.prediction = predicted[r];
        const failure = checkLimits(log, controls || identity.scanNames);
        if (failure) return failure;
        logs.push(log);
      }
      return { ok: true, logs };
    },
  };
}
