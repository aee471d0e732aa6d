// A pool of worker_threads, each with its own HiGHS runtime, for independent MILPs (the classes
// of one verification, the disjuncts of a property, many inputs). Workers hold the process open
// only while they have work. A job that overruns its time limit by far (HiGHS did not stop)
// gets its worker terminated and replaced, and answers `timeout`.
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import type { MilpData } from './builder.js';
import type { SolveOptions, SolveResult } from './highs.js';
import type { MilpSolver } from './problem.js';

interface Pending {
  id: number;
  data: MilpData;
  opts: SolveOptions;
  resolve(r: SolveResult): void;
}

interface Slot {
  worker: Worker;
  job?: Pending;
  timer?: NodeJS.Timeout;
  started: number;
}

/** Seconds a job may overrun its own limit before its worker is killed. */
const GRACE_S = 5;

export class MilpPool implements MilpSolver {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;

  constructor(size = Math.max(1, os.availableParallelism())) {
    this.size = Math.max(1, Math.floor(size));
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn());
  }

  solve(data: MilpData, opts: SolveOptions): Promise<SolveResult> {
    if (this.closed) return Promise.reject(new Error('MilpPool is closed'));
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, data, opts, resolve });
      this.pump();
    });
  }

  /** Terminates every worker; queued jobs answer `cancelled`. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.resolve(cancelled('the pool was closed'));
    await Promise.all(this.slots.map(async (s) => {
      if (s.timer) clearTimeout(s.timer);
      s.job?.resolve(cancelled('the pool was closed'));
      s.job = undefined;
      await s.worker.terminate();
    }));
  }

  private spawn(): Slot {
    const slot = {} as Slot;
    this.attach(slot);
    return slot;
  }

  /** Gives the slot a fresh worker whose answers go to the slot's current job. */
  private attach(slot: Slot): void {
    const worker = new Worker(new URL('./worker.js', import.meta.url));
    slot.worker = worker;
    slot.started = 0;
    worker.on('message', (msg: { id: number; result: SolveResult }) => {
      if (slot.worker === worker && slot.job?.id === msg.id) this.finish(slot, msg.result);
    });
    worker.on('error', (err) => {
      if (slot.worker === worker) this.replace(slot, { status: 'error', bound: -Infinity, timeS: 0, nodes: 0, message: `MILP worker: ${err.message}` });
    });
    worker.unref();
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.job || !this.queue.length) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.started = performance.now();
      slot.worker.ref();
      slot.timer = setTimeout(() => {
        const timeS = (performance.now() - slot.started) / 1000;
        this.replace(slot, { status: 'timeout', bound: -Infinity, timeS, nodes: 0, message: 'HiGHS overran its time limit; its worker was stopped' });
      }, (job.opts.timeLimitS + GRACE_S) * 1000 * 1.1);
      slot.worker.postMessage({ id: job.id, data: job.data, opts: job.opts });
    }
  }

  private finish(slot: Slot, result: SolveResult): void {
    const job = slot.job;
    if (slot.timer) clearTimeout(slot.timer);
    slot.job = undefined;
    slot.timer = undefined;
    slot.worker.unref();
    job?.resolve(result);
    this.pump();
  }

  private replace(slot: Slot, result: SolveResult): void {
    const job = slot.job;
    if (slot.timer) clearTimeout(slot.timer);
    slot.job = undefined;
    void slot.worker.terminate();
    if (!this.closed) this.attach(slot);
    job?.resolve(result);
    this.pump();
  }
}

function cancelled(message: string): SolveResult {
  return { status: 'cancelled', bound: -Infinity, timeS: 0, nodes: 0, message };
}
