/** What every bench script does around its work: progress on stderr, exit code by outcome. */
export const say = (s: string) => process.stderr.write(`${s}\n`);

/** Runs a bench's main and exits (kafkajs timers would keep the process alive otherwise). */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
