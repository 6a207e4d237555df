/**
 * Bad input to a detector: what scipy rejects with an error (empty samples, zero-sum vectors,
 * mismatched totals, NaN where a test cannot use it). `code` is stable for callers to match on.
 */
export class DetectorInputError extends RangeError {
  readonly code = 'DETECTOR_INPUT';
  constructor(fn: string, message: string) {
    super(`${fn}: ${message}`);
    this.name = 'DetectorInputError';
  }
}
