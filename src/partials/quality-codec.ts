import {
  CALIBRATION_BINS,
  ClassificationQuality,
  MAX_QUALITY_CLASSES,
  RegressionQuality,
} from '../../detectors/index.js';
import { WindowQuality, type LabelledPredictions } from '../windows/window-quality.js';
import type { ByteReader, ByteWriter } from './bytes.js';

/**
 * A window's labelled predictions (format 5, after the ops): per input partition its number,
 * flags (1: a classifier tally, 2: a regression tally) and unusable labels; a classifier tally
 * as its positive class (u8 flag + string), class names, confusion counts (varints), the
 * scores (float64), the log-loss sum and the calibration bins; a regression tally as its count
 * and four float64 sums.
 */
export function writeQuality(out: ByteWriter, quality: WindowQuality): void {
  out.varint(quality.partitions.size);
  for (const [partition, part] of quality.partitions) {
    out.varint(partition);
    out.u8((part.classification ? 1 : 0) | (part.regression ? 2 : 0));
    out.varint(part.unusable);
    if (part.classification) writeClassification(out, part.classification);
    if (part.regression) {
      const [n, ...sums] = part.regression.toState();
      out.varint(n);
      for (const s of sums) out.f64(s);
    }
  }
}

export function readQuality(body: ByteReader): WindowQuality {
  const quality = new WindowQuality();
  for (let n = body.count('quality partitions', 3); n > 0; n--) {
    const partition = body.varint('quality partition');
    const flags = body.u8('quality flags');
    if (flags > 3) body.fail('quality flags', `is ${flags}`);
    const part: LabelledPredictions = {
      classification: null,
      regression: null,
      unusable: body.varint('unusable labels'),
    };
    if (flags & 1) part.classification = readClassification(body);
    if (flags & 2) {
      part.regression = RegressionQuality.fromState([
        body.varint('labelled'),
        body.f64('absolute errors'),
        body.f64('squared errors'),
        body.f64('percentage errors'),
        body.f64('errors'),
      ]);
    }
    quality.partitions.set(partition, part);
  }
  return quality;
}

function writeClassification(out: ByteWriter, q: ClassificationQuality): void {
  const s = q.toState();
  out.u8(s.positiveClass === undefined ? 0 : 1);
  if (s.positiveClass !== undefined) out.string(s.positiveClass);
  out.varint(s.classNames.length);
  for (const name of s.classNames) out.string(name);
  for (const c of s.confusion) out.varint(c);
  out.varint(s.n);
  for (const list of [s.positiveScores, s.negativeScores]) {
    out.varint(list.length);
    for (const x of list) out.f64(x);
  }
  out.f64(s.logLossSum);
  for (const bins of [s.binCount, s.binPositives]) for (const c of bins) out.varint(c);
  for (const x of s.binScoreSum) out.f64(x);
  out.u8(s.scoresCapped ? 1 : 0);
}

function readClassification(body: ByteReader): ClassificationQuality {
  const positiveClass =
    body.u8('positive class flag') === 1 ? body.string('positive class') : undefined;
  const classNames: string[] = [];
  for (let k = body.count('quality classes', 1, MAX_QUALITY_CLASSES); k > 0; k--) {
    classNames.push(body.string('class'));
  }
  const confusion = new Float64Array(classNames.length * classNames.length);
  for (let i = 0; i < confusion.length; i++) confusion[i] = body.varint('confusion count');
  const n = body.varint('labelled');
  const scores = () => {
    const list = new Float64Array(body.count('scores', 8));
    for (let i = 0; i < list.length; i++) list[i] = body.f64('score');
    return list;
  };
  const positiveScores = scores();
  const negativeScores = scores();
  const logLossSum = body.f64('log-loss sum');
  const counts = () => {
    const bins = new Float64Array(CALIBRATION_BINS);
    for (let b = 0; b < CALIBRATION_BINS; b++) bins[b] = body.varint('calibration count');
    return bins;
  };
  const binCount = counts();
  const binPositives = counts();
  const binScoreSum = new Float64Array(CALIBRATION_BINS);
  for (let b = 0; b < CALIBRATION_BINS; b++) binScoreSum[b] = body.f64('calibration score sum');
  const scoresCapped = body.u8('scores capped') === 1;
  try {
    return ClassificationQuality.fromState({
      positiveClass,
      classNames,
      confusion,
      n,
      positiveScores,
      negativeScores,
      logLossSum,
      binCount,
      binPositives,
      binScoreSum,
      scoresCapped,
    });
  } catch (err) {
    return body.fail('quality', (err as Error).message);
  }
}
