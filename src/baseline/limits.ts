/** Default `baselines.maxFileSize` (256MB): far above any real baseline, far below a stray dump. */
export const DEFAULT_BASELINE_FILE_SIZE = 256_000_000;

/**
 * The largest baseline file that can be read at all (512MB): it is decoded into one string,
 * and V8 strings stop at 2^29 − 24 characters (≈ 536.9 million).
 */
export const MAX_BASELINE_FILE_SIZE = 512_000_000;
