/**
 * Offset-commit metadata: the watermark the committed offsets are valid for, and (delayed
 * labels on) the offset up to which the partition's predictions went to the join: `dw1:<wm>`
 * or `dw1:<wm>;l<offset>`.
 */
const PREFIX = 'dw1:';
const LABELS = ';l';

export function encodeCommitMetadata(watermark: number, labelsTo?: number): string {
  const wm = Number.isFinite(watermark) ? `${PREFIX}${watermark}` : `${PREFIX}-`;
  return labelsTo === undefined ? wm : `${wm}${LABELS}${labelsTo}`;
}

/** The watermark in a committed offset's metadata, or undefined for anything else. */
export function decodeCommitMetadata(metadata: string | null | undefined): number | undefined {
  if (!metadata?.startsWith(PREFIX)) return undefined;
  const end = metadata.indexOf(LABELS);
  const value = Number(metadata.slice(PREFIX.length, end === -1 ? undefined : end));
  return Number.isFinite(value) ? value : undefined;
}

/** The offset up to which predictions were handed to the label join, if recorded. */
export function decodeLabelsTo(metadata: string | null | undefined): number | undefined {
  if (!metadata?.startsWith(PREFIX)) return undefined;
  const at = metadata.indexOf(LABELS);
  if (at === -1) return undefined;
  const value = Number(metadata.slice(at + LABELS.length));
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}
