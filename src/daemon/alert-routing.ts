import type { Alerting } from '../alerting/alerting.js';
import { routeModel } from '../partials/route.js';
import type { WindowPoint } from '../windows/evaluate.js';

/** The points of each alert-log partition: a model's go where routeModel sends the model. */
export function pointsByPartition(
  points: readonly WindowPoint[],
  partitions: number,
): Map<number, WindowPoint[]> {
  const out = new Map<number, WindowPoint[]>();
  for (const p of points) {
    const q = routeModel(p.model, partitions);
    let list = out.get(q);
    if (!list) out.set(q, (list = []));
    list.push(p);
  }
  return out;
}

/**
 * Hands emitted windows to the engines of the partitions held, each its models' windows. Every
 * engine gets the watermark, with or without windows: event time moves for all of them (stale
 * rules, group timers). One partition after the other, in order.
 */
export async function alertOnWindows(
  alerting: Pick<Alerting, 'assigned' | 'partitionCount' | 'onWindows'>,
  points: readonly WindowPoint[],
  watermark: number,
  heartbeat: () => Promise<void>,
  isStopping: () => boolean,
): Promise<void> {
  const routed = pointsByPartition(points, alerting.partitionCount);
  for (const q of alerting.assigned) {
    await alerting.onWindows(q, routed.get(q) ?? [], watermark, heartbeat, isStopping);
  }
}
