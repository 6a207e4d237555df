import { oneLineMessage } from '../../shared/tls-errors.js';

/** One thing `driftwatch doctor` checks: a name and a probe that says what it found. */
export interface DoctorCheck {
  /** `kafka`, `influx`, `smtp`, `receiver platform-hooks`… */
  name: string;
  /** Resolves with what was found (one line); rejects with why it failed. */
  run(): Promise<string>;
}

export interface DoctorResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** Why a probe failed, as one line: a DriftwatchError's code and message, else the message. */
function reason(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const prefix = typeof code === 'string' && !err.message.includes(code) ? `${code}: ` : '';
    return oneLineMessage(`${prefix}${err.message}`);
  }
  return oneLineMessage(String(err));
}

/** Runs every check (at the same time: they are independent), each result in the given order. */
export async function runChecks(checks: readonly DoctorCheck[]): Promise<DoctorResult[]> {
  return Promise.all(
    checks.map(async (c): Promise<DoctorResult> => {
      try {
        return { name: c.name, ok: true, detail: await c.run() };
      } catch (err) {
        return { name: c.name, ok: false, detail: reason(err) };
      }
    }),
  );
}

/** One line per check: `ok      kafka     …` / `failed  influx    …`. */
export function formatResults(results: readonly DoctorResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  return results
    .map((r) => `${(r.ok ? 'ok' : 'failed').padEnd(7)} ${r.name.padEnd(width)}  ${r.detail}\n`)
    .join('');
}
