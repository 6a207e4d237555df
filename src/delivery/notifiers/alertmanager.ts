/**
 * Alertmanager receivers: each notification's alerts are posted to `<url>/api/v2/alerts`, and
 * the alerts firing since are posted again every `repostIntervalMs`, each valid for
 * VALID_INTERVALS intervals (`endsAt`), the way Prometheus keeps its alerts alive: Alertmanager
 * resolves an alert nobody re-posts, so a stopped daemon leaves nothing firing for ever.
 *
 * Delivery of a notification is one attempt like any notifier's (the durable consumer retries
 * it); a re-post that fails is reported through `onRepostFailure` and simply tried again at
 * the next interval. The firing set lives in memory, per alert-log partition: when the
 * receiver loses a partition (a rebalance), its alerts are no longer re-posted here, since the
 * replica that took it over notifies them from now on.
 */
import type { AlertNotification } from '../../../alert-engine/model.js';
import {
  endedAt,
  notificationAlerts,
  sameLabels,
  type PostableAlert,
} from './alertmanager-body.js';
import { checkHttpUrl, postOnce, redactUrl } from './http-post.js';
import type { DeliveryContext, DeliveryOutcome, Notifier } from './notifier.js';

/** A firing alert stays valid this many re-post intervals after it was last posted. */
export const VALID_INTERVALS = 4;
export const DEFAULT_REPOST_INTERVAL_MS = 60_000;

export interface AlertmanagerNotifierOptions {
  name: string;
  /** Alertmanager's base URL (`http://alertmanager:9093`). */
  url: string;
  repostIntervalMs?: number;
  timeoutMs?: number;
  headers?: Record<string, string>;
  userAgent?: string;
  /** A re-post failed (it is tried again at the next interval). */
  onRepostFailure?: (error: string, alerts: number) => void;
  now?: () => number;
}

interface Firing {
  alert: PostableAlert;
  partition: number;
}

export class AlertmanagerNotifier implements Notifier {
  readonly name: string;
  readonly type = 'alertmanager' as const;
  private readonly endpoint: string;
  private readonly repostIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private readonly onRepostFailure: (error: string, alerts: number) => void;
  private readonly now: () => number;
  private readonly closing = new AbortController();
  /** Firing alerts by fingerprint, as last posted. */
  private readonly firing = new Map<string, Firing>();
  private timer: NodeJS.Timeout | undefined;
  private reposting = false;

  constructor(opts: AlertmanagerNotifierOptions) {
    this.name = opts.name;
    checkHttpUrl(opts.url, `alertmanager receiver "${opts.name}"`);
    this.endpoint = `${opts.url.replace(/\/+$/, '')}/api/v2/alerts`;
    this.repostIntervalMs = opts.repostIntervalMs ?? DEFAULT_REPOST_INTERVAL_MS;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
    headers['content-type'] = 'application/json';
    headers['user-agent'] = opts.userAgent ?? 'driftwatch';
    this.headers = headers;
    this.onRepostFailure = opts.onRepostFailure ?? (() => undefined);
    this.now = opts.now ?? Date.now;
  }

  private where(): string {
    return `alertmanager receiver "${this.name}" (${redactUrl(this.endpoint)})`;
  }

  private post(alerts: PostableAlert[]): Promise<DeliveryOutcome> {
    return postOnce({
      url: this.endpoint,
      headers: this.headers,
      body: JSON.stringify(alerts),
      timeoutMs: this.timeoutMs,
      closing: this.closing.signal,
      where: this.where(),
      now: this.now,
    });
  }

  async deliver(
    n: AlertNotification,
    _attempt: number,
    context?: DeliveryContext,
  ): Promise<DeliveryOutcome> {
    if (n.retrain) {
      return {
        kind: 'permanent',
        error: `${this.where()}: retraining request ${n.id} is not for Alertmanager`,
      };
    }
    const now = this.now();
    const { firing, resolved } = notificationAlerts(
      n,
      now,
      VALID_INTERVALS * this.repostIntervalMs,
    );
    const batch = [...firing.values(), ...resolved.values()];
    // A label set that changed (an escalated severity) is another alert to Alertmanager: end
    // the one posted before.
    for (const [fingerprint, alert] of firing) {
      const before = this.firing.get(fingerprint)?.alert;
      if (before && !sameLabels(before, alert)) batch.push(endedAt(before, now, now));
    }
    const outcome = await this.post(batch);
    if (outcome.kind !== 'delivered') return outcome;
    this.keep(firing, resolved, context?.partition ?? 0);
    return {
      kind: 'delivered',
      detail: `${outcome.detail}; ${firing.size} firing, ${resolved.size} resolved`,
    };
  }

  /** A notification handled before a restart or rebalance: its alerts are kept alive again. */
  restore(n: AlertNotification, context: DeliveryContext): void {
    if (n.retrain) return;
    const { firing, resolved } = notificationAlerts(
      n,
      this.now(),
      VALID_INTERVALS * this.repostIntervalMs,
    );
    this.keep(firing, resolved, context.partition);
  }

  private keep(
    firing: ReadonlyMap<string, PostableAlert>,
    resolved: ReadonlyMap<string, PostableAlert>,
    partition: number,
  ): void {
    for (const [fingerprint, alert] of firing) this.firing.set(fingerprint, { alert, partition });
    for (const fingerprint of resolved.keys()) this.firing.delete(fingerprint);
    this.schedule();
  }

  /** The receiver now holds these alert-log partitions; others' alerts are not re-posted. */
  assigned(partitions: readonly number[]): void {
    const held = new Set(partitions);
    for (const [fingerprint, f] of this.firing) {
      if (!held.has(f.partition)) this.firing.delete(fingerprint);
    }
  }

  /** Alerts this receiver keeps alive (for tests and status). */
  get firingCount(): number {
    return this.firing.size;
  }

  private schedule(): void {
    if (this.firing.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    if (this.timer || this.closing.signal.aborted) return;
    this.timer = setInterval(() => void this.repost(), this.repostIntervalMs);
    this.timer.unref();
  }

  /** Posts every firing alert again with a fresh endsAt. */
  async repost(): Promise<DeliveryOutcome | undefined> {
    if (this.reposting || this.firing.size === 0) return undefined;
    this.reposting = true;
    try {
      const now = this.now();
      const validUntil = new Date(now + VALID_INTERVALS * this.repostIntervalMs).toISOString();
      const alerts = [...this.firing.values()].map((f) => ({ ...f.alert, endsAt: validUntil }));
      const outcome = await this.post(alerts);
      if (outcome.kind !== 'delivered') this.onRepostFailure(outcome.error, alerts.length);
      return outcome;
    } finally {
      this.reposting = false;
    }
  }

  close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.closing.abort();
    return Promise.resolve();
  }
}
