// Stage "refine" of the cascade (cascade.ts), between α-CROWN and bab: per region with open
// disjuncts, the pre-activation bounds of the unstable ReLUs are tightened by per-neuron MILPs
// layer by layer (src/milp/refine-bounds.ts), on a pool of HiGHS workers (one per core); after
// each layer, α-CROWN with optimised intermediate bounds re-derives the layers above from the
// tighter ones and bounds the open disjuncts' rows, closing those it proves. The branch and
// bound and the MILP then start from the refined bounds. Soundness: refine-bounds.ts (proven
// MILP bounds only, always intersected) and alpha.ts (every α gives a sound bound, intermediate
// bounds intersected with the given sound ones).
import os from 'node:os';
import type { Network } from '../network.js';
import { size } from '../network.js';
import type { LayerBounds } from '../bounds/types.js';
import { alphaBox } from '../bounds/optimise/alpha.js';
import { MilpPool } from '../milp/pool.js';
import { refineBounds, refineSupported } from '../milp/refine-bounds.js';
import type { OpenSet } from './open-set.js';
import { now } from '../clock.js';

export interface RefineStageOptions {
  /** now() value to stop by. */
  deadline: number;
  /** The α stage's layer bounds per region (refined from there; a region without them is skipped). */
  bounds: (LayerBounds[] | undefined)[];
  /** MILPs solved at once (default: the cores, at most 4, on nets with 256 hidden ReLUs or more; else 1). */
  workers?: number;
  log: (line: string) => void;
}

export interface RefineStageResult {
  closed: number;
  /** Per region: the refined bounds (undefined where the region was not refined). */
  bounds: (LayerBounds[] | undefined)[];
  note: string;
}

export { refineSupported };

export async function refineStage(net: Network, open: OpenSet, opts: RefineStageOptions): Promise<RefineStageResult> {
  let closed = 0;
  const out: (LayerBounds[] | undefined)[] = [];
  const notes: string[] = [];
  const regions = open.prop.regions;
  // worker threads pay off where MILPs take seconds, not on small nets (their start costs more)
  const hidden = net.layers.reduce((n, l) => n + (l.op.kind === 'relu' ? size(l.shape) : 0), 0);
  const workers = Math.max(1, opts.workers ?? (hidden >= 256 ? Math.min(4, os.availableParallelism()) : 1));
  const pool = workers > 1 ? new MilpPool(workers) : undefined;
  try {
    for (let r = 0; r < regions.length; r++) {
      const given = opts.bounds[r];
      if (!open.regionOpen(r) || !given) continue;
      let pending = 0;
      for (let q = r; q < regions.length; q++) if (open.regionOpen(q) && opts.bounds[q]) pending++;
      const regionDeadline = now() + (opts.deadline - now()) / Math.max(1, pending);
      const { lower, upper } = regions[r];
      // after each refined layer: α-CROWN over the new bounds for the layers above and the spec rows
      const rederive = (b: LayerBounds[]): LayerBounds[] => {
        const rows = open.rows(r);
        if (!rows) return b;
        const tNow = now();
        const res = alphaBox(net, lower, upper, rows.c, rows.rows, {
          iterations: 30, lr: 0.1, deadline: tNow + 4000, stopAbove: rows.b,
          intermediate: { iterations: 10, deadline: tNow + 3000, crown: b },
        });
        closed += open.closeByLowerBounds(r, rows, res.best);
        return res.bounds;
      };
      const res = await refineBounds(net, lower, upper, given, {
        deadline: regionDeadline, solver: pool, parallel: workers, rederive, log: opts.log, stop: () => !open.regionOpen(r),
      });
      out[r] = res.bounds;
      notes.push(`${res.stats.unstableBefore} → ${res.stats.unstableAfter} unstable in ${res.stats.layers.length} layers, ${res.stats.milps} MILPs`);
    }
  } finally {
    await pool?.close();
  }
  return { closed, bounds: out, note: notes.join('; ') };
}
