/**
 * One piece of work at a time between Kafka batches and the idle timer: both move windows and
 * offsets. A batch that has to wait keeps its group membership alive through `whileWaiting`.
 */
export class Exclusive {
  private current: Promise<void> | undefined;

  get busy(): boolean {
    return this.current !== undefined;
  }

  async run<T>(work: () => Promise<T>, whileWaiting?: () => Promise<void>): Promise<T> {
    while (this.current) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.current,
        new Promise<void>((resolve) => (timer = setTimeout(resolve, 1_000))),
      ]);
      clearTimeout(timer);
      if (this.busy && whileWaiting) await whileWaiting();
    }
    let release!: () => void;
    this.current = new Promise<void>((resolve) => (release = resolve));
    try {
      return await work();
    } finally {
      this.current = undefined;
      release();
    }
  }
}
