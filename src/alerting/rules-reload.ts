import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { AlertEngine } from '../../alerts/engine.js';
import type { Logger } from '../logger.js';
import type { DaemonMetrics } from '../metrics.js';
import type { BuiltReceiver, ReceiverSet } from './receiver-set.js';
import { loadRulesFile, type LoadedRules } from './rules-file.js';

export interface RulesReloadDeps {
  /** The rules file. */
  file: string;
  engine: AlertEngine;
  receivers: ReceiverSet;
  metrics: DaemonMetrics;
  logger: Logger;
}

/**
 * The rules file's hot reload: on SIGHUP (`reload`) and on changes to the file (`watch`); an
 * invalid file, or a new receiver that cannot start, keeps the running rules.
 */
export class RulesReloader {
  private readonly deps: RulesReloadDeps;
  private watcher: FSWatcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private reloads: Promise<unknown> = Promise.resolve();

  constructor(deps: RulesReloadDeps) {
    this.deps = deps;
  }

  watch(): void {
    const { file } = this.deps;
    try {
      // The directory, not the file: editors and ConfigMap updates replace the file.
      this.watcher = watch(path.dirname(file), (_event, name) => {
        if (name !== null && name !== path.basename(file) && !name.startsWith('..')) return;
        clearTimeout(this.reloadTimer);
        this.reloadTimer = setTimeout(() => void this.reload('file change'), 300);
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
   * Reloads the rules file; an invalid one keeps the running rules and reports every error.
   * One reload at a time (SIGHUP and a file change may coincide); never rejects.
   */
  reload(trigger: string): Promise<boolean> {
    const run = this.reloads.then(() => this.reloadNow(trigger));
    this.reloads = run;
    return run;
  }

  private async reloadNow(trigger: string): Promise<boolean> {
    if (this.stopped) return false;
    const { logger, metrics, receivers } = this.deps;
    let next: LoadedRules;
    let notifiers: Map<string, BuiltReceiver>;
    try {
      next = loadRulesFile(this.deps.file);
      notifiers = receivers.build(next);
    } catch (err) {
      metrics.rulesReloads.inc({ result: 'invalid' });
      logger.error(
        { trigger, error: (err as Error).message },
        'rules file reload failed: the previous rules stay in force',
      );
      return false;
    }
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
    this.deps.engine.setRules(next.rules, next.policies);
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
    clearTimeout(this.reloadTimer);
    this.watcher?.close();
  }
}
