import type { Message } from 'kafkajs';
import { sleep, type ReplicaSet } from './replicas.js';

export interface ChurnPlan {
  /** Input produced one burst at a time, in event-time order. */
  bursts: Message[][];
  /** Replicas to run while each burst is consumed (1 → 3 → 1, say); the last one stays. */
  scale: number[];
  /** kill -9 at least this many times in all. */
  minKills: number;
}

export interface ChurnIo {
  send(messages: Message[]): Promise<void>;
  /** Points in InfluxDB now: a kill lands right after it grows (a window was just written). */
  pointCount(): Promise<number>;
}

/**
 * The three kinds of kill the issue asks for, in turn: during a rebalance (right after another
 * replica started), right after a window was written (between an InfluxDB write and the next
 * commit), and at a random moment. Each kill is followed by a restart, so the planned number of
 * replicas (at least one) keeps running.
 */
type KillKind = 'during-rebalance' | 'after-write' | 'random-moment';
const KINDS: readonly KillKind[] = ['during-rebalance', 'after-write', 'random-moment'];

async function killOnce(set: ReplicaSet, io: ChurnIo, kind: KillKind, random: () => number) {
  const target = Math.max(1, set.size);
  if (kind === 'during-rebalance') {
    await set.add();
    // The newcomer's join starts a rebalance a few seconds after spawn (startup): land in it.
    await sleep(500 + random() * 3_000);
  } else if (kind === 'after-write') {
    const before = await io.pointCount();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (await io.pointCount()) <= before) await sleep(100);
  } else {
    await sleep(random() * 3_000);
  }
  await set.killRandom();
  await set.scaleTo(target);
}

/** Produces the bursts while scaling and killing replicas; returns the kinds of kill done. */
export async function runWithChurn(
  set: ReplicaSet,
  plan: ChurnPlan,
  io: ChurnIo,
  random: () => number,
): Promise<KillKind[]> {
  const done: KillKind[] = [];
  const perBurst = Math.ceil(plan.minKills / plan.bursts.length);
  const killNext = async () => {
    const kind = KINDS[done.length % KINDS.length] as KillKind;
    await killOnce(set, io, kind, random);
    done.push(kind);
  };
  for (const [i, burst] of plan.bursts.entries()) {
    await set.scaleTo(plan.scale[i] ?? plan.scale[plan.scale.length - 1] ?? 1);
    await io.send(burst);
    for (let k = 0; k < perBurst; k++) await killNext();
  }
  while (done.length < plan.minKills) await killNext();
  await set.scaleTo(plan.scale[plan.scale.length - 1] ?? 1);
  return done;
}
