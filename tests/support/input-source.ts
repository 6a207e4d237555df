import { expect } from 'vitest';
import type { IHeaders } from 'kafkajs';
import { inputSchema } from '../../src/config/input.js';
import { eventSourceFor, type ReadResult } from '../../src/prediction-log/event-source.js';

/** Reads one message through the event source an `input.mapping` config (as YAML gives it) builds. */
export function readWith(
  mapping: unknown,
  message: unknown,
  meta: { topic?: string; headers?: IHeaders; timestamp?: number } = {},
): ReadResult {
  const source = eventSourceFor(inputSchema.parse({ mapping }));
  const value = Buffer.from(typeof message === 'string' ? message : JSON.stringify(message));
  return source.read(
    { value, headers: meta.headers ?? {}, timestamp: String(meta.timestamp ?? 1_767_225_600_000) },
    meta.topic ?? 'predictions',
  );
}

/** The events of a read that must have succeeded. */
export function eventsOf(result: ReadResult) {
  if (!result.ok) throw new Error(`refused: ${result.code}: ${result.reason}`);
  return result.log !== undefined ? [result.log] : [...result.logs];
}

/** A read that must have been refused with `code`, its reason containing `reason`. */
export function expectRefusal(result: ReadResult, code: string, reason = ''): void {
  expect(result.ok ? 'accepted' : result.code).toBe(code);
  expect(result.ok ? '' : result.reason).toContain(reason);
}
