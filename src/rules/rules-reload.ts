import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AlertEngine } from '../../alert-engine/engine.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import { parseRulesFile, unreadableRulesFile, type LoadedRules } from './rules-file.js';
import {
  readAfterSettling,
  readFileState,
  readSettled,
  type FileRead,
  type SettleOptions,
} from './settled-read.js';

/** Reads in a row that each differ from the one before, before a reload gives up. */
const MAX_SETTLE_CHANGES = 30;
/** File events come in bursts (write, chmod, rename): one reload for a burst. */
const EVENT_DEBOUNCE_MS = 100;

/**
 * The running receivers, as a reload sees them (ReceiverSet in src/delivery/): generic over what
 * a built receiver is, so the rules know nothing of delivery while delivery reads the rules.
 */
export interface ReloadableReceivers<R> {
  /** Constructs every receiver of the rules (secrets read); throws when one cannot be. */
  build(loaded: LoadedRules): Map<string, R>;
  /** Starts the receivers not running yet; the names started (all or none on a throw). */
  startNew(built: Map<string, R>): Promise<Set<string>>;
  /** Stops removed receivers and updates changed ones, once the new rules are in force. */
  reconcile(built: Map<string, R>, started: Set<string>): Promise<void>;
}

export interface RulesReloadDeps<R> {
  /** The rules file. */
  file: string;
  /** alerts.reloadSettle: how long the file must stay the same before it is read for good. */
  settleMs: number;
  /** Where the rules apply: every alert engine of the daemon (AlertPartitions), or one. */
  engine: Pick<AlertEngine, 'ruleNames' | 'setRules'>;
  receivers: ReloadableReceivers<R>;
  metrics: DaemonMetrics;
  logger: Logger;
  /** Tests replace the waiting between reads. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The rules file's hot reload: on SIGHUP (`reload`) and on changes to the file (`watch`). A file
 * is used only once it stayed the same for the settle period, and rules it drops are dropped
 * (their alerts resolved) only when one more read a settle period later agrees: a file written
 * in place in pieces may look valid, and shorter, halfway. An invalid file, or a new receiver
 * that cannot start, keeps the running rules.
 */
export class RulesReloader<R> {
  private readonly deps: RulesReloadDeps<R>;
  private watcher: FSWatcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Ends the waiting between reads at stop, so no timer holds the process. */
  private readonly stopping = new AbortController();
  private reloads: Promise<unknown> = Promise.resolve();
  /** A reload waiting for the running one: it covers every request made before it starts. */
  private queued: Promise<boolean> | undefined;

  constructor(deps: RulesReloadDeps<R>) {
    this.deps = deps;
  }

  watch(): void {
    const { file } = this.deps;
    try {
      // The directory, not the file: editors and ConfigMap updates replace the file.
      this.watcher = watch(path.dirname(file), (_event, name) => {
        if (name !== null && name !== path.basename(file) && !name.startsWith('..')) return;
        clearTimeout(this.reloadTimer);
        this.reloadTimer = setTimeout(() => void this.reload('file change'), EVENT_DEBOUNCE_MS);
      });
      this.watcher.on('error', (err) =>
        this.deps.logger.warn(
          { err, file },
          'watching the rules file failed; SIGHUP still reloads',
        ),
      );
    } catch (err) {
      this.deps.logger.warn({ err, file }, 'cannot watch the rules file; SIGHUP still reloads');
    }
  }

  /**
   * Reloads the rules file once it has settled; an invalid one keeps the running rules and
   * reports every error. One reload at a time (SIGHUP and a file change may coincide), and at
   * most one waiting behind it; never rejects.
   */
  reload(trigger: string): Promise<boolean> {
    if (this.queued) return this.queued;
    const run = this.reloads.then(() => {
      this.queued = undefined;
      return this.reloadNow(trigger);
    });
    this.queued = run;
    this.reloads = run;
    return run;
  }

  /** Resolves once no reload runs or waits (one may queue another). */
  async idle(): Promise<void> {
    for (let current = this.reloads; ; current = this.reloads) {
      await current;
      if (current === this.reloads) return;
    }
  }

  private settleOptions(): SettleOptions {
    return {
      read: () => readFileState(this.deps.file),
      sleep:
        this.deps.sleep ??
        ((ms) => sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined)),
      settleMs: this.deps.settleMs,
      maxChanges: MAX_SETTLE_CHANGES,
      stopped: () => this.stopped,
    };
  }

  private async reloadNow(trigger: string): Promise<boolean> {
    if (this.stopped) return false;
    const { logger, metrics, file, settleMs } = this.deps;
    const options = this.settleOptions();
    const settled = await readSettled(options);
    if (settled.kind === 'stopped') return false;
    if (settled.kind === 'unsettled') {
      metrics.rulesReloads.inc({ result: 'unsettled' });
      logger.warn(
        { reload: 'unsettled', trigger, file, settleMs, reads: settled.changes + 1 },
        'rules file reload skipped: the file kept changing; the previous rules stay in force until it settles',
      );
      return false;
    }
    let next: LoadedRules;
    try {
      next = parseSettled(file, settled.read);
    } catch (err) {
      return this.invalid(trigger, err);
    }
    const confirmed = await this.confirmRemovals(trigger, next, settled.read, options);
    if (confirmed !== 'confirmed') return false;
    let notifiers: Map<string, R>;
    try {
      notifiers = this.deps.receivers.build(next);
    } catch (err) {
      return this.invalid(trigger, err);
    }
    return this.apply(trigger, next, notifiers);
  }

  /**
   * Rules the file drops resolve their alerts: only when one more read, a settle period later,
   * sees the same file. When it changed, nothing is applied and the newer file is reloaded.
   */
  private async confirmRemovals(
    trigger: string,
    next: LoadedRules,
    read: FileRead,
    options: SettleOptions,
  ): Promise<'confirmed' | 'unconfirmed' | 'stopped'> {
    const { logger, metrics, engine } = this.deps;
    const kept = new Set(next.rules.map((r) => r.name));
    const removed = engine.ruleNames.filter((name) => !kept.has(name));
    if (removed.length === 0) return 'confirmed';
    logger.info(
      { reload: 'confirming', trigger, removed, settleMs: options.settleMs },
      'the rules file drops rules: confirming with one more read before their alerts resolve',
    );
    const again = await readAfterSettling(options);
    if (again === undefined) return 'stopped';
    if (again.fingerprint === read.fingerprint) return 'confirmed';
    metrics.rulesReloads.inc({ result: 'unconfirmed' });
    logger.warn(
      { reload: 'unconfirmed', trigger, removed },
      'rules file reload skipped: the file changed again before dropping rules was confirmed; reloading the newer file',
    );
    void this.reload('file changed while confirming');
    return 'unconfirmed';
  }

  private invalid(trigger: string, err: unknown): false {
    this.deps.metrics.rulesReloads.inc({ result: 'invalid' });
    this.deps.logger.error(
      { trigger, error: (err as Error).message },
      'rules file reload failed: the previous rules stay in force',
    );
    return false;
  }

  private async apply(
    trigger: string,
    next: LoadedRules,
    notifiers: Map<string, R>,
  ): Promise<boolean> {
    const { logger, metrics, receivers } = this.deps;
    // New receivers first: each commits its start (the end of the log) before the new rules
    // can name it in a notification, so it misses none.
    let started: Set<string>;
    try {
      started = await receivers.startNew(notifiers);
    } catch (err) {
      metrics.rulesReloads.inc({ result: 'invalid' });
      logger.error(
        { trigger, err },
        'rules file reload failed: a new receiver could not start; the previous rules stay in force',
      );
      return false;
    }
    this.deps.engine.setRules(next.rules, next.policies, next);
    // Removed receivers stop only now, once no rule names them anymore.
    await receivers.reconcile(notifiers, started);
    metrics.rulesLoaded.set(next.rules.length);
    metrics.rulesReloads.inc({ result: 'ok' });
    logger.info(
      { trigger, rules: next.rules.length, receivers: Object.keys(next.receivers) },
      'rules reloaded',
    );
    return true;
  }

  /** No reload after this; the watch ends. */
  stop(): void {
    this.stopped = true;
    this.stopping.abort();
    clearTimeout(this.reloadTimer);
    this.watcher?.close();
  }
}

function parseSettled(file: string, read: FileRead): LoadedRules {
  if (read.text === undefined) throw unreadableRulesFile(file, read.error);
  return parseRulesFile(file, read.text);
}
