/**
 * What work inside one consumer batch (or one timer tick) needs of its surroundings while it
 * computes or waits out an outage: the heartbeat that keeps the consumer group membership, and
 * whether the daemon is stopping (a retry then gives up instead of waiting). A stage creates one
 * per batch or tick and hands it down as one argument.
 */
export interface BatchContext {
  heartbeat(): Promise<void>;
  readonly stopping: boolean;
}

/** A context whose `stopping` is read anew each time (the daemon may stop mid-batch). */
export function batchContext(
  heartbeat: () => Promise<void>,
  isStopping: () => boolean,
): BatchContext {
  return {
    heartbeat,
    get stopping() {
      return isStopping();
    },
  };
}
