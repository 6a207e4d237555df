import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface ServiceProcess {
  name: string;
  pid: number;
  logFile: string;
}

/** Starts a service with its output in a log file; `detached` lets it outlive this process. */
export async function spawnService(
  name: string,
  command: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; logDir: string; detached: boolean },
): Promise<ServiceProcess> {
  mkdirSync(opts.logDir, { recursive: true });
  const logFile = path.join(opts.logDir, `${name}.log`);
  const out = createWriteStream(logFile, { flags: 'a' });
  await new Promise((r) => out.once('open', r));
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', out, out],
    detached: opts.detached,
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) =>
      reject(new Error(`cannot start ${name} (${command}): ${err.message}`)),
    );
  });
  if (opts.detached) child.unref();
  if (child.pid === undefined) throw new Error(`cannot start ${name}: no pid`);
  return { name, pid: child.pid, logFile };
}

/** Runs a one-off step (e.g. formatting storage) to completion; fails with its log's tail. */
export async function runLogged(
  name: string,
  command: string,
  args: string[],
  opts: { cwd: string; logDir: string },
): Promise<void> {
  mkdirSync(opts.logDir, { recursive: true });
  const logFile = path.join(opts.logDir, `${name}.log`);
  const out = createWriteStream(logFile, { flags: 'a' });
  await new Promise((r) => out.once('open', r));
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, stdio: ['ignore', out, out] });
    child.once('error', (err) =>
      reject(new Error(`cannot run ${name} (${command}): ${err.message}`)),
    );
    child.once('exit', resolve);
  });
  out.end();
  if (code !== 0)
    throw new Error(
      `${name} failed with exit code ${code}\n--- ${logFile} (tail) ---\n${logTail(logFile)}`,
    );
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(pid: number, graceMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A port the OS says is free right now (there is a small race until the service binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Polls `check` until it returns true; on timeout the error carries the service log's tail. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; proc?: ServiceProcess },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (opts.proc && !isAlive(opts.proc.pid)) break;
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await sleep(250);
  }
  const tail = opts.proc ? logTail(opts.proc.logFile) : '';
  const died = opts.proc && !isAlive(opts.proc.pid) ? ' (the process exited)' : '';
  throw new Error(
    `${what} not ready after ${opts.timeoutMs / 1000}s${died}${lastError instanceof Error ? `; last error: ${lastError.message}` : ''}${tail ? `\n--- ${opts.proc?.logFile} (tail) ---\n${tail}` : ''}`,
  );
}

export function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return res.ok;
}
