import type { MappingConfig } from '../../config/input.js';
import { compilePath, type CompiledPath } from '../../shared/json-path.js';
import { checkLimits, copyRecord, isPrediction, type PredictionLog } from '../prediction-log.js';
import { refuse, type EventExtractor, type ExtractFailure, type Extraction } from './extractor.js';
import { compileFeatures } from './features.js';
import { compileIdentity } from './identity.js';

type Prediction = PredictionLog['prediction'];

/** The prediction at `path`: absent, a valid value (maps copied, as the default shape does), or why not. */
function readPrediction(
  path: CompiledPath,
  value: unknown,
): { ok: true; prediction: Prediction } | ExtractFailure {
  const found = path.get(value);
  if (found === undefined) return { ok: true, prediction: undefined };
  if (!isPrediction(found)) {
    return refuse(
      'FIELD_INVALID',
      `prediction at ${path.text}: expected a number, string, boolean, null or an object of numbers`,
    );
  }
  const prediction = found !== null && typeof found === 'object' ? copyRecord(found) : found;
  return { ok: true, prediction };
}

/**
 * A mapping without a preset, compiled once: every path is parsed here, so a message costs
 * only the walks along them. One event per message.
 */
export function compileMapping(config: MappingConfig): EventExtractor {
  const { model, version, timestamp, features } = config;
  if (!model || !version || !timestamp || !features) {
    // The config schema requires them without a preset; this guards a caller that skipped it.
    throw new Error('a mapping without a preset needs model, version, timestamp and features');
  }
  const identity = compileIdentity({ model, version, timestamp, id: config.id });
  const readFeatures = compileFeatures(features);
  const prediction = config.prediction === undefined ? undefined : compilePath(config.prediction);
  const label = config.label === undefined ? undefined : compilePath(config.label);
  const latency = config.latency === undefined ? undefined : compilePath(config.latency);
  const error = config.error === undefined ? undefined : compilePath(config.error);
  return {
    extract(value, controls, message, topic): Extraction {
      const who = identity(value, message, topic);
      if (!who.ok) return who;
      const read = readFeatures(value);
      if (!read.ok) return read;
      const log: PredictionLog = {
        model: who.model,
        model_version: who.model_version,
        timestamp: who.timestamp,
        features: read.features,
      };
      if (who.id !== undefined) log.id = who.id;
      if (prediction) {
        const p = readPrediction(prediction, value);
        if (!p.ok) return p;
        if (p.prediction !== undefined) log.prediction = p.prediction;
      }
      if (label) {
        const l = label.get(value);
        if (l !== undefined) log.label = l;
      }
      const took = latency?.get(value);
      if (took !== undefined) log.latency_ms = took;
      const failed = error?.get(value);
      if (failed !== undefined) log.error = failed;
      return checkLimits(log, controls || identity.scanNames) ?? { ok: true, log };
    },
  };
}
