// The CPU engine behind the BoundEngine interface (the float64 reference the GPU engine and
// the MILP are checked against). Big jobs are split over worker threads (same results).
import type { Network } from '../network.js';
import type { BoundEngine, BoundOptions, BoundResult, Boxes } from './types.js';
import type { CpuBoundOptions } from './bound.js';
import { boundNetworkThreaded, defaultThreads } from './threads.js';

export class CpuEngine implements BoundEngine {
  readonly backend = 'cpu' as const;
  private readonly threads: number;
  /** threads: how many threads may share one call (default: the cores, at most 2). */
  constructor(private readonly cpu: CpuBoundOptions & { threads?: number } = {}) {
    this.threads = Math.max(1, Math.floor(cpu.threads ?? defaultThreads()));
  }
  describe(): string {
    return `cpu float64 (${this.threads} thread${this.threads === 1 ? '' : 's'})`;
  }
  async bound(net: Network, boxes: Boxes, opts: BoundOptions): Promise<BoundResult> {
    const { threads: _t, ...cpu } = this.cpu;
    return boundNetworkThreaded(net, boxes, { ...cpu, ...opts }, this.threads);
  }
  async dispose(): Promise<void> {}
}
