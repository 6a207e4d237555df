import { describeFound } from './describe.js';
import type { MappingConfig } from '../../config/input.js';
import type { InputMessage } from '../payload-decoder.js';
import { compileSources, compileTimestamp, type CompiledSource } from './sources.js';
import { refuse, type ExtractFailure } from './extractor.js';

/** What every event of a message shares: which model made it, when, and the request id. */
export interface Identity {
  model: string;
  model_version: string;
  timestamp: number;
  id: string | undefined;
}

export type IdentityRead = ({ ok: true } & Identity) | ExtractFailure;

/** Reads a message's identity; compiled once from the mapping (and a preset's defaults). */
export interface CompiledIdentity {
  (value: unknown, message: InputMessage, topic: string): IdentityRead;
  /** Names may come from outside the payload (header, topic): limits scan them whatever it says. */
  scanNames: boolean;
}

type IdentityConfig = Required<Pick<MappingConfig, 'model' | 'version' | 'timestamp'>> &
  Pick<MappingConfig, 'id'>;

/** A name-like value: a non-empty string, or (when `numbers`) a number written as a string. */
function text(
  field: string,
  source: CompiledSource,
  found: unknown,
  numbers: boolean,
): string | ExtractFailure {
  if (typeof found === 'string' && found.length > 0) return found;
  if (numbers && typeof found === 'number' && Number.isFinite(found)) return String(found);
  return refuse(
    'FIELD_INVALID',
    `${field} at ${source.where} is ${describeFound(found)}: expected a non-empty string${numbers ? ' or a number' : ''}`,
  );
}

export function compileIdentity(config: IdentityConfig): CompiledIdentity {
  const model = compileSources(config.model);
  const version = compileSources(config.version);
  const id = config.id === undefined ? undefined : compileSources(config.id);
  const timestamp = compileTimestamp(config.timestamp);
  const read = (value: unknown, message: InputMessage, topic: string): IdentityRead => {
    const foundModel = model.read(value, message, topic);
    if (foundModel === undefined || foundModel === null) {
      return refuse('FIELD_MISSING', `model: nothing at ${model.where}`);
    }
    const modelName = text('model', model, foundModel, false);
    if (typeof modelName !== 'string') return modelName;
    const foundVersion = version.read(value, message, topic);
    if (foundVersion === undefined || foundVersion === null) {
      return refuse('FIELD_MISSING', `version: nothing at ${version.where}`);
    }
    const modelVersion = text('version', version, foundVersion, true);
    if (typeof modelVersion !== 'string') return modelVersion;
    const at = timestamp.read(value, message);
    if (at === undefined)
      return refuse('FIELD_MISSING', `timestamp: nothing at ${timestamp.where}`);
    if (typeof at !== 'number') return refuse('BAD_TIMESTAMP', `timestamp at ${at.bad}`);
    let requestId: string | undefined;
    if (id) {
      const foundId = id.read(value, message, topic);
      if (foundId !== undefined && foundId !== null) {
        const checked = text('id', id, foundId, true);
        if (typeof checked !== 'string') return checked;
        requestId = checked;
      }
    }
    return {
      ok: true,
      model: modelName,
      model_version: modelVersion,
      timestamp: at,
      id: requestId,
    };
  };
  return Object.assign(read, {
    scanNames: model.outsidePayload || version.outsidePayload,
  });
}
