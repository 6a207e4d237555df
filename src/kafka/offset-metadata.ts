/** Offset-commit metadata: the watermark the committed offsets are valid for. */
const PREFIX = 'dw1:';

export function encodeCommitMetadata(watermark: number): string {
  return Number.isFinite(watermark) ? `${PREFIX}${watermark}` : `${PREFIX}-`;
}

/** The watermark in a committed offset's metadata, or undefined for anything else. */
export function decodeCommitMetadata(metadata: string | null | undefined): number | undefined {
  if (!metadata?.startsWith(PREFIX)) return undefined;
  const value = Number(metadata.slice(PREFIX.length));
  return Number.isFinite(value) ? value : undefined;
}
