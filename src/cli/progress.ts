import type { BuildProgress } from '../baseline/build-file.js';

/** A progress bar on a terminal, a line every 10% (or every 5 s) otherwise. */
export function progressReporter(): (p: BuildProgress) => void {
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  let lastShare = -1;
  return (p) => {
    const share = p.totalBytes > 0 ? p.bytes / p.totalBytes : 0;
    if (tty) {
      const width = 30;
      const filled = Math.round(share * width);
      process.stderr.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${p.rows.toLocaleString('en-US')} rows`,
      );
      return;
    }
    const now = Date.now();
    if (Math.floor(share * 10) > lastShare || now - lastLine > 5_000) {
      lastShare = Math.floor(share * 10);
      lastLine = now;
      process.stderr.write(`progress: ${(share * 100).toFixed(0)}% (${p.rows} rows)\n`);
    }
  };
}
