// Worker threads that run verify's cascade for `sweep --complete` (cascade-worker.ts), so that
// (1) Ctrl-C is seen within a fraction of a second: the main thread only awaits messages, polls
// the stop flag every 50 ms and terminates the workers, whatever stage they are in (a branch and
// bound or a MILP of many seconds cannot be interrupted from inside, as it never yields); and
// (2) several inputs are decided at once, one per core (the cascade itself is single-threaded).
// A call's answer is exactly verifyProperty's; what the pool adds is only where it runs.
import { Worker } from 'node:worker_threads';
import type { Network } from '../network.js';
import type { Property } from '../spec/property.js';
import type { VerifyOutcome } from '../verify/outcome.js';
import type { CascadeRequest } from './cascade-worker.js';
import { SEARCH_YOUNG_MB } from '../verify/bab/lanes.js';

/** The cascade's answer, or why there is none: stopped (Ctrl-C) or the worker failed (e.g. memory). */
export type PoolAnswer = { outcome: VerifyOutcome } | { stopped: true } | { error: string };

interface Slot {
  worker: Worker;
  pending?: { id: number; resolve(a: PoolAnswer): void };
}

export class CascadePool {
  private slots: Slot[] = [];
  private queue: { req: CascadeRequest; resolve(a: PoolAnswer): void }[] = [];
  private nextId = 1;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  /** size workers on net; shouldStop is polled every 50 ms while a call is out. */
  constructor(private readonly net: Network, readonly size: number, private readonly shouldStop?: () => boolean) {
    for (let w = 0; w < Math.max(1, size); w++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    // branch and bound's young generation (bab/lanes.ts SEARCH_YOUNG_MB says why)
    const worker = new Worker(new URL('./cascade-worker.js', import.meta.url), { workerData: { net: this.net }, resourceLimits: { maxYoungGenerationSizeMb: SEARCH_YOUNG_MB } });
    const slot: Slot = { worker };
    worker.on('message', (msg: { id: number; outcome?: VerifyOutcome; error?: string }) => {
      const p = slot.pending;
      if (!p || p.id !== msg.id) return;
      slot.pending = undefined;
      p.resolve(msg.outcome ? { outcome: msg.outcome } : { error: msg.error ?? 'no answer' });
      this.pump();
    });
    // a worker that dies (out of memory, a crash) fails its call and is replaced
    const fail = (why: string) => {
      const p = slot.pending;
      slot.pending = undefined;
      if (this.stopped) { p?.resolve({ stopped: true }); return; }
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots[i] = this.spawn();
      p?.resolve({ error: why });
      this.pump();
    };
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', (code) => { if (slot.pending) fail(`worker exited with code ${code}`); });
    worker.unref();
    return slot;
  }

  /** verifyProperty(net, prop, { timeoutS, seed }) on a free worker. */
  run(prop: Property, timeoutS: number, seed: number): Promise<PoolAnswer> {
    if (this.stopped) return Promise.resolve({ stopped: true });
    return new Promise((resolve) => {
      this.queue.push({ req: { id: this.nextId++, prop, timeoutS, seed }, resolve });
      this.pump();
      if (!this.timer && this.shouldStop) this.timer = setInterval(() => { if (this.shouldStop!()) this.stop(); }, 50);
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.pending || !this.queue.length) continue;
      const { req, resolve } = this.queue.shift()!;
      slot.pending = { id: req.id, resolve };
      slot.worker.postMessage(req);
    }
    if (this.timer && !this.queue.length && this.slots.every((s) => !s.pending)) { clearInterval(this.timer); this.timer = undefined; }
  }

  /** Terminates every worker now; calls out and queued answer { stopped }. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const q of this.queue.splice(0)) q.resolve({ stopped: true });
    for (const slot of this.slots) {
      const p = slot.pending;
      slot.pending = undefined;
      p?.resolve({ stopped: true });
      void slot.worker.terminate();
    }
  }

  get wasStopped(): boolean {
    return this.stopped;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stopped = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
