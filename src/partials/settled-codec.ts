import type { DelayedQuality } from '../drift/quality-points.js';
import type { ByteReader, ByteWriter } from './bytes.js';
import { readQuality, writeQuality } from './quality-codec.js';

/**
 * Body of a settled delayed-quality record (kind 3): model, model version, baseline hash
 * (strings), window start and end (float64), the predictions with an id (varint), then the
 * labelled predictions per join partition in the quality codec.
 */
export function writeDelayedQuality(out: ByteWriter, d: DelayedQuality): void {
  out.string(d.identity.model);
  out.string(d.identity.modelVersion);
  out.string(d.identity.baselineHash);
  out.f64(d.identity.windowStart);
  out.f64(d.identity.windowEnd);
  out.varint(d.predicted);
  writeQuality(out, d.quality);
}

export function readDelayedQuality(body: ByteReader): DelayedQuality {
  const model = body.string('model');
  const modelVersion = body.string('model version');
  const baselineHash = body.string('baseline hash');
  const windowStart = body.f64('window start');
  const windowEnd = body.f64('window end');
  if (!(Number.isFinite(windowStart) && Number.isFinite(windowEnd) && windowStart < windowEnd)) {
    body.fail('window', `[${windowStart}, ${windowEnd}) is not a window`);
  }
  const predicted = body.varint('predicted');
  const quality = readQuality(body);
  body.end('the settled quality');
  return {
    identity: { model, modelVersion, baselineHash, windowStart, windowEnd },
    predicted,
    quality,
  };
}
