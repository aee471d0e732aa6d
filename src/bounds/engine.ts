// The CPU engine behind the BoundEngine interface (the float64 reference the GPU engine and
// the MILP are checked against).
import type { Network } from '../network.js';
import type { BoundEngine, BoundOptions, BoundResult, Boxes } from './types.js';
import { boundNetworkCpu, type CpuBoundOptions } from './bound.js';

export class CpuEngine implements BoundEngine {
  readonly backend = 'cpu' as const;
  constructor(private readonly cpu: CpuBoundOptions = {}) {}
  describe(): string {
    return 'cpu float64';
  }
  async bound(net: Network, boxes: Boxes, opts: BoundOptions): Promise<BoundResult> {
    return boundNetworkCpu(net, boxes, { ...this.cpu, ...opts });
  }
  async dispose(): Promise<void> {}
}
