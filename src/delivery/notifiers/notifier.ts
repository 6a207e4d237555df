import type { AlertNotification } from '../../../alert-engine/model.js';

/**
 * What one delivery attempt came to. The caller (a durable receiver consumer) owns retries:
 * a notifier makes exactly one attempt and says whether another could succeed.
 */
export type DeliveryOutcome =
  | { kind: 'delivered'; detail: string }
  /** Transient (network, timeout, 408/429/5xx, SMTP 4xx): try again, not before retryAfterMs. */
  | { kind: 'retry'; error: string; retryAfterMs?: number }
  /** Permanent (other 4xx, 3xx, SMTP 5xx): dead-letter now. `disable`: the endpoint is gone (410). */
  | { kind: 'permanent'; error: string; disable?: boolean };

/** Where the notification came from. */
export interface DeliveryContext {
  /** The alert-log partition it was read from. */
  partition: number;
}

export interface Notifier {
  readonly name: string;
  readonly type: 'email' | 'webhook' | 'retrain' | 'alertmanager';
  /** One attempt. `attempt` starts at 1; the same notification keeps its id across attempts. */
  deliver(
    notification: AlertNotification,
    attempt: number,
    context?: DeliveryContext,
  ): Promise<DeliveryOutcome>;
  /** The receiver's consumer now holds these alert-log partitions (after each rebalance). */
  assigned?(partitions: readonly number[]): void;
  /**
   * A notification this receiver handled before (delivered or dead-lettered), read back from
   * the alert log when the receiver gains its partition; only notifiers that keep state across
   * notifications need it. Sends nothing.
   */
  restore?(notification: AlertNotification, context: DeliveryContext): void;
  close(): Promise<void>;
}
