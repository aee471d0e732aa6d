// A BoundEngine whose work runs in the CPU Web Worker (cpu-worker.ts): each bound() call sends
// the boxes and the spec, and resolves with the worker's float64 bounds. A network is sent to
// the worker once. Used as the page's CPU backend and as the GPU engine's fallback for what its
// kernels cannot run.
import type { Network } from '../network.js';
import type { BoundEngine, BoundOptions, BoundResult, Boxes } from '../bounds/types.js';
import { UserError } from '../errors.js';
import type { FromCpuWorker, ToCpuWorker } from './cpu-protocol.js';

export class WorkerCpuEngine implements BoundEngine {
  readonly backend = 'cpu' as const;
  private ids = new WeakMap<Network, number>();
  private nextId = 1;
  private nextJob = 1;
  private pending = new Map<number, { resolve: (r: BoundResult) => void; reject: (e: Error) => void }>();

  constructor(private worker: Worker, onLog: (line: string) => void = () => {}) {
    worker.onmessage = (ev: MessageEvent<FromCpuWorker>) => {
      const m = ev.data;
      if (m.kind === 'log') return onLog(m.line);
      const p = this.pending.get(m.job);
      if (!p) return;
      this.pending.delete(m.job);
      if (m.kind === 'error') p.reject(m.user ? new UserError(m.message) : new Error(m.message));
      else p.resolve({ lower: m.lower, upper: m.upper, rows: m.rows });
    };
    worker.onerror = (ev: ErrorEvent) => {
      const err = new Error(`the CPU engine's worker failed: ${ev.message}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  describe(): string {
    return 'cpu float64 (Web Worker, 1 thread)';
  }

  private send(m: ToCpuWorker): void {
    this.worker.postMessage(m);
  }

  bound(net: Network, boxes: Boxes, opts: BoundOptions): Promise<BoundResult> {
    let id = this.ids.get(net);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(net, id);
      this.send({ kind: 'net', id, net });
    }
    const job = this.nextJob++;
    return new Promise((resolve, reject) => {
      this.pending.set(job, { resolve, reject });
      this.send({ kind: 'bound', job, net: id, lower: boxes.lower, upper: boxes.upper, count: boxes.count, method: opts.method, spec: opts.spec });
    });
  }

  async dispose(): Promise<void> {
    this.worker.terminate();
  }
}
