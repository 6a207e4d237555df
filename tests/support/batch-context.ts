import type { BatchContext } from '../../src/shared/batch-context.js';

/** A batch outside any consumer: nothing to heartbeat, never stopping. */
export const QUIET_BATCH: BatchContext = { heartbeat: () => Promise.resolve(), stopping: false };
