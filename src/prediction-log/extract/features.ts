import { describeFound } from './describe.js';
import type { FeaturesConfig } from '../../config/input.js';
import { compilePath, type CompiledPath } from '../../shared/json-path.js';
import { preview } from '../../shared/untrusted-text.js';
import { isFeatureValue, type FeatureValue } from '../prediction-log.js';
import { refuse, type ExtractFailure } from './extractor.js';

export type Features = Record<string, FeatureValue>;
export type FeaturesRead = { ok: true; features: Features } | ExtractFailure;

/** Reads the features of one decoded message, in the form the config chose. */
export type CompiledFeatures = (value: unknown) => FeaturesRead;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function notScalar(where: string, v: unknown): ExtractFailure {
  return refuse(
    'FEATURE_NOT_SCALAR',
    `feature at ${where} is ${describeFound(v)}: expected a number, string, boolean or null`,
  );
}

/** Why `found` (read at `path`) is no object of features; undefined when it is one. */
function notObject(path: CompiledPath, found: unknown): ExtractFailure | undefined {
  if (found === undefined) return refuse('FIELD_MISSING', `features: nothing at ${path.text}`);
  if (!isObject(found)) {
    return refuse(
      'FIELD_INVALID',
      `features at ${path.text} is ${describeFound(found)}: expected an object`,
    );
  }
  return undefined;
}

function objectForm(path: CompiledPath): CompiledFeatures {
  return (value) => {
    const found = path.get(value);
    const failure = notObject(path, found);
    if (failure) return failure;
    const object = found as Record<string, unknown>;
    for (const key in object) {
      if (!isFeatureValue(object[key])) return notScalar(path.child(key), object[key]);
    }
    return { ok: true, features: object as Features };
  };
}

function listsForm(namesPath: CompiledPath, valuesPath: CompiledPath): CompiledFeatures {
  return (value) => {
    const names = namesPath.get(value);
    const values = valuesPath.get(value);
    for (const [path, list] of [
      [namesPath, names],
      [valuesPath, values],
    ] as const) {
      if (list === undefined) return refuse('FIELD_MISSING', `features: nothing at ${path.text}`);
      if (!Array.isArray(list)) {
        return refuse(
          'FIELD_INVALID',
          `features at ${path.text} is ${describeFound(list)}: expected a list`,
        );
      }
    }
    const n = names as unknown[];
    const v = values as unknown[];
    if (n.length !== v.length) {
      return refuse(
        'FEATURES_MISMATCH',
        `${n.length} feature names at ${namesPath.text} but ${v.length} values at ${valuesPath.text}`,
      );
    }
    const features: Features = {};
    for (let i = 0; i < n.length; i++) {
      const name = n[i];
      if (typeof name !== 'string') {
        return refuse(
          'FEATURES_MISMATCH',
          `feature name at ${namesPath.child(i)} is ${describeFound(name)}: expected a string`,
        );
      }
      if (Object.hasOwn(features, name)) {
        return refuse(
          'FEATURES_MISMATCH',
          `feature name ${preview(name)} appears twice in ${namesPath.text}`,
        );
      }
      const item = v[i];
      if (!isFeatureValue(item)) return notScalar(valuesPath.child(i), item);
      features[name] = item;
    }
    return { ok: true, features };
  };
}

function exceptForm(at: CompiledPath, except: readonly string[]): CompiledFeatures {
  const skip = new Set(except);
  return (value) => {
    const found = at.get(value);
    const failure = notObject(at, found);
    if (failure) return failure;
    const object = found as Record<string, unknown>;
    const features: Features = {};
    for (const key in object) {
      if (skip.has(key)) continue;
      const item = object[key];
      if (!isFeatureValue(item)) return notScalar(at.child(key), item);
      features[key] = item;
    }
    return { ok: true, features };
  };
}

function fieldsForm(fields: Record<string, string>): CompiledFeatures {
  const entries = Object.entries(fields).map(([name, path]) => [name, compilePath(path)] as const);
  return (value) => {
    const features: Features = {};
    for (const [name, path] of entries) {
      const item = path.get(value);
      // Absent is missing, like a feature left out of the default shape.
      if (item === undefined) continue;
      if (!isFeatureValue(item)) return notScalar(path.text, item);
      features[name] = item;
    }
    return { ok: true, features };
  };
}

export function compileFeatures(config: FeaturesConfig): CompiledFeatures {
  if (typeof config === 'string') return objectForm(compilePath(config));
  if ('path' in config) return objectForm(compilePath(config.path));
  if ('names' in config) return listsForm(compilePath(config.names), compilePath(config.values));
  if ('except' in config) return exceptForm(compilePath(config.at), config.except);
  return fieldsForm(config.fields);
}
