import type { ServiceEndpoints } from '../../scripts/services/endpoints.js';
import { freePort } from '../../scripts/services/process.js';
import { DaemonProcess, writeDaemonConfig, type DaemonSettings } from './daemon-process.js';
import { metricTotal } from './results.js';

/**
 * Ports handed to replicas by this test process. freePort() only says a port is free now: two
 * replicas started back to back, before the first one listens, would get the same one.
 */
const handedOut = new Set<number>();

async function unusedPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

interface Replica {
  id: number;
  daemon: DaemonProcess;
  httpPort: number;
}

/**
 * N daemons with one configuration (one kafka.groupId), as a Deployment runs them: scale up and
 * down, kill -9 a random one, restart. Each replica gets its own config file only for its own
 * HTTP port. Choices (which one dies) come from the seeded `random`, so a failure names them.
 */
export class ReplicaSet {
  private readonly live: Replica[] = [];
  private started = 0;
  kills = 0;
  /** What happened, in order (`start r3`, `kill -9 r1`, …): printed when a test fails. */
  readonly history: string[] = [];
  /** Output of replicas that are gone, for diagnosis. */
  private readonly pastOutput: string[] = [];

  constructor(
    private readonly services: ServiceEndpoints,
    private readonly settings: DaemonSettings,
    private readonly env: NodeJS.ProcessEnv,
    private readonly random: () => number,
  ) {}

  get size(): number {
    return this.live.length;
  }

  /** Starts one more replica (it joins the group: a rebalance follows). */
  async add(): Promise<DaemonProcess> {
    const port = await unusedPort();
    // Its own config file (a new temporary dir), differing only in the HTTP port.
    const { file } = await writeDaemonConfig(this.services, {
      ...this.settings,
      configDir: undefined,
      extra: { ...this.settings.extra, http: { host: '127.0.0.1', port } },
    });
    const replica = {
      id: ++this.started,
      daemon: new DaemonProcess(file, this.env),
      httpPort: port,
    };
    this.live.push(replica);
    this.history.push(`start r${replica.id}`);
    return replica.daemon;
  }

  /** Starts or gracefully stops (SIGTERM, as a scale-down does) replicas until `n` run. */
  async scaleTo(n: number): Promise<void> {
    while (this.live.length < n) await this.add();
    while (this.live.length > n) {
      const replica = this.live.pop() as Replica;
      this.history.push(`stop r${replica.id}`);
      // SIGTERM is handled once the daemon has started; before, it ends the process like any
      // other signal (no exit code), which is not the graceful stop a scale-down is about.
      await replica.daemon.waitForLog('joined consumer group');
      await replica.daemon.stopGracefully();
      this.pastOutput.push(`--- r${replica.id}\n${replica.daemon.output.slice(-2_000)}`);
    }
  }

  /** kill -9 of a random running replica; waits until it is gone. */
  async killRandom(): Promise<void> {
    if (this.live.length === 0) return;
    const index = Math.floor(this.random() * this.live.length);
    const [replica] = this.live.splice(index, 1) as [Replica];
    this.history.push(`kill -9 r${replica.id}`);
    replica.daemon.kill('SIGKILL');
    await replica.daemon.exited;
    this.kills++;
    this.pastOutput.push(`--- r${replica.id} (killed)\n${replica.daemon.output.slice(-2_000)}`);
  }

  /** Replicas that stopped on their own (a crash is a finding, not churn). */
  crashed(): string[] {
    return this.live
      .filter((r) => r.daemon.child.exitCode !== null)
      .map((r) => `r${r.id} exited ${r.daemon.child.exitCode}:\n${r.daemon.output.slice(-3_000)}`);
  }

  /** A metric of each running replica, in start order (a replica not serving yet: 0). */
  async metricPerReplica(name: string): Promise<number[]> {
    const texts = await Promise.all(
      this.live.map((r) =>
        fetch(`http://127.0.0.1:${r.httpPort}/metrics`).then(
          (res) => res.text(),
          () => '',
        ),
      ),
    );
    return texts.map((text) => metricTotal(text, name));
  }

  /** A metric summed over the running replicas' /metrics. */
  async metricTotal(name: string): Promise<number> {
    return (await this.metricPerReplica(name)).reduce((sum, v) => sum + v, 0);
  }

  /** History and recent output of every replica, for a failure message. */
  describe(): string {
    const current = this.live.map(
      (r) => `--- r${r.id} (running)\n${r.daemon.output.slice(-2_000)}`,
    );
    return [`history: ${this.history.join(', ')}`, ...this.pastOutput, ...current].join('\n');
  }

  /** Gracefully stops every replica still running. */
  async stopAll(): Promise<void> {
    await Promise.all(
      this.live.splice(0).map(async (r) => {
        r.daemon.kill('SIGTERM');
        const { code } = await r.daemon.exited;
        // Kept for describe(): a failed test reports after its replicas were stopped.
        this.pastOutput.push(
          `--- r${r.id} (stopped, code ${code})\n${r.daemon.output.slice(-2_000)}`,
        );
      }),
    );
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
