/** A number from the daemon's /metrics (the first group of `pattern`); 0 before it serves. */
export async function metric(port: number, pattern: RegExp): Promise<number> {
  // Before the daemon serves /metrics, nothing is counted yet.
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
  const m = pattern.exec(text);
  return m ? Number(m[1]) : 0;
}

/** Waits until a /metrics number reaches `atLeast`. */
export async function waitForMetric(port: number, pattern: RegExp, atLeast: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await metric(port, pattern)) >= atLeast) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`metric ${String(pattern)} did not reach ${atLeast}`);
}
