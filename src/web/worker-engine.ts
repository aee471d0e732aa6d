// A BoundEngine whose work runs in CPU Web Workers (cpu-worker.ts): each bound() call splits the
// boxes into contiguous ranges, one per worker (as src/bounds/threads.ts does with worker_threads:
// a box's bounds never depend on the other boxes, so the result is the same bits as one call),
// sends each range with its part of the spec, and joins the workers' float64 bounds. A network is
// sent to each worker once. Used as the page's CPU backend and as the GPU engine's fallback for
// what its kernels cannot run.
import type { Network } from '../network.js';
import { inputSize, outputSize } from '../network.js';
import type { BoundEngine, BoundOptions, BoundResult, Boxes } from '../bounds/types.js';
import { UserError } from '../errors.js';
import type { FromCpuWorker, ToCpuWorker } from './cpu-protocol.js';

/** Fewer boxes than this per worker are not worth a split. */
const MIN_BOXES_PER_WORKER = 8;

interface PageWorker {
  worker: Worker;
  nets: WeakSet<Network>;
  pending: Map<number, { resolve: (r: BoundResult) => void; reject: (e: Error) => void }>;
}

export class WorkerCpuEngine implements BoundEngine {
  readonly backend = 'cpu' as const;
  private workers: PageWorker[] = [];
  private ids = new WeakMap<Network, number>();
  private nextId = 1;
  private nextJob = 1;

  /** threads: how many workers share a call (the page passes its cores, at most 4). */
  constructor(makeWorker: () => Worker, readonly threads: number, onLog: (line: string) => void = () => {}) {
    for (let i = 0; i < Math.max(1, Math.floor(threads)); i++) {
      const pw: PageWorker = { worker: makeWorker(), nets: new WeakSet(), pending: new Map() };
      pw.worker.onmessage = (ev: MessageEvent<FromCpuWorker>) => {
        const m = ev.data;
        if (m.kind === 'log') return onLog(m.line);
        const p = pw.pending.get(m.job);
        if (!p) return;
        pw.pending.delete(m.job);
        if (m.kind === 'error') p.reject(m.user ? new UserError(m.message) : new Error(m.message));
        else p.resolve({ lower: m.lower, upper: m.upper, rows: m.rows });
      };
      pw.worker.onerror = (ev: ErrorEvent) => {
        const err = new Error(`the CPU engine's worker failed: ${ev.message}`);
        for (const p of pw.pending.values()) p.reject(err);
        pw.pending.clear();
      };
      this.workers.push(pw);
    }
  }

  describe(): string {
    return `cpu float64 (Web Worker${this.workers.length === 1 ? ', 1 thread' : `s, ${this.workers.length} threads`})`;
  }

  private send(pw: PageWorker, net: Network, lower: Float64Array, upper: Float64Array, count: number, opts: BoundOptions): Promise<BoundResult> {
    let id = this.ids.get(net);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(net, id);
    }
    if (!pw.nets.has(net)) {
      pw.worker.postMessage({ kind: 'net', id, net } satisfies ToCpuWorker);
      pw.nets.add(net);
    }
    const job = this.nextJob++;
    return new Promise((resolve, reject) => {
      pw.pending.set(job, { resolve, reject });
      pw.worker.postMessage({ kind: 'bound', job, net: id, lower, upper, count, method: opts.method, spec: opts.spec } satisfies ToCpuWorker);
    });
  }

  async bound(net: Network, boxes: Boxes, opts: BoundOptions): Promise<BoundResult> {
    const parts = Math.max(1, Math.min(this.workers.length, Math.floor(boxes.count / MIN_BOXES_PER_WORKER)));
    if (parts === 1) return this.send(this.workers[0], net, boxes.lower, boxes.upper, boxes.count, opts);
    const n = inputSize(net);
    const spec = opts.spec;
    const perBox = spec && !spec.shared ? spec.rows * outputSize(net) : 0;
    const ranges: [number, number][] = [];
    for (let k = 0; k < parts; k++) ranges.push([Math.floor((k * boxes.count) / parts), Math.floor(((k + 1) * boxes.count) / parts)]);
    const results = await Promise.all(ranges.map(([b0, b1], k) => this.send(this.workers[k], net,
      boxes.lower.subarray(b0 * n, b1 * n), boxes.upper.subarray(b0 * n, b1 * n), b1 - b0,
      { ...opts, spec: spec && perBox ? { ...spec, c: spec.c.subarray(b0 * perBox, b1 * perBox) } : spec })));
    const rows = results[0].rows;
    const lower = new Float64Array(boxes.count * rows), upper = new Float64Array(boxes.count * rows);
    results.forEach((r, k) => {
      lower.set(r.lower, ranges[k][0] * rows);
      upper.set(r.upper, ranges[k][0] * rows);
    });
    return { lower, upper, rows };
  }

  async dispose(): Promise<void> {
    for (const pw of this.workers) pw.worker.terminate();
  }
}
