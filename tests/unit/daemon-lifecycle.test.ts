import { describe, expect, it } from 'vitest';
import { DaemonLifecycle } from '../../src/daemon/lifecycle.js';

describe('DaemonLifecycle', () => {
  it('goes starting → running → stopping → stopped, exit code 0', () => {
    const life = new DaemonLifecycle();
    expect([life.phase, life.stopping]).toEqual(['starting', false]);
    life.started();
    expect([life.phase, life.stopping]).toEqual(['running', false]);
    expect(life.stop(0)).toBe(true);
    expect([life.phase, life.stopping]).toEqual(['stopping', true]);
    life.stopped();
    expect([life.phase, life.exitCode]).toEqual(['stopped', 0]);
  });

  it('stays where a stop during start-up put it once start-up returns', () => {
    const life = new DaemonLifecycle();
    expect(life.stop(0)).toBe(true);
    life.started();
    expect(life.phase).toBe('stopping');
  });

  it('begins a stop once; later ones only raise the exit code', () => {
    const life = new DaemonLifecycle();
    life.started();
    expect(life.stop(1)).toBe(true);
    expect(life.stop(0)).toBe(false);
    expect([life.phase, life.exitCode]).toEqual(['stopping', 1]);
  });

  it('fails a graceful stop when a batch fails during it, and ends failed', () => {
    const life = new DaemonLifecycle();
    life.started();
    life.stop(0);
    expect(life.stop(1, 'failed')).toBe(false);
    expect([life.phase, life.exitCode, life.stopping]).toEqual(['failed', 1, true]);
    life.stopped();
    expect(life.phase).toBe('failed');
    // A stop requested after the failure changes neither.
    expect(life.stop(0)).toBe(false);
    expect([life.phase, life.exitCode]).toEqual(['failed', 1]);
  });

  it('fails during start-up too', () => {
    const life = new DaemonLifecycle();
    expect(life.stop(1, 'failed')).toBe(true);
    life.started();
    expect([life.phase, life.exitCode]).toEqual(['failed', 1]);
  });

  it('raises the exit code for a step of the stop that failed; stopped is final', () => {
    const life = new DaemonLifecycle();
    life.started();
    life.stop(0);
    life.raise(1);
    life.stopped();
    expect(life.stop(1, 'failed')).toBe(false);
    expect([life.phase, life.exitCode]).toEqual(['stopped', 1]);
  });
});
