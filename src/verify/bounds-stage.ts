// Stages (b) and (c): bound the open disjuncts' rows a·y over each region's box and close the
// disjuncts with a row whose lower bound exceeds its b. IBP and CROWN run on the bound engine
// (GPU when there is one) with the rows folded into C; α-CROWN runs on the CPU engine's one
// backward pass, on every network.
import type { Network } from '../network.js';
import type { BoundEngine, BoundMethod, LayerBounds } from '../bounds/types.js';
import type { OpenSet } from './open-set.js';
import { alphaBox } from '../bounds/optimise/alpha.js';
import { now } from '../clock.js';

export async function engineStage(engine: BoundEngine, net: Network, open: OpenSet, method: BoundMethod): Promise<number> {
  let closed = 0;
  for (let r = 0; r < open.prop.regions.length; r++) {
    const rows = open.rows(r);
    if (!rows) continue;
    const { lower, upper } = open.prop.regions[r];
    const res = await engine.bound(net, { lower, upper, count: 1 }, { method, spec: { c: rows.c, rows: rows.rows, shared: true } });
    closed += open.closeByLowerBounds(r, rows, res.lower);
  }
  return closed;
}

export interface AlphaStageOptions {
  iterations: number;
  deadline: number;
  /** Adam steps for the intermediate (pre-activation) bounds; 0 or absent: plain CROWN pre-bounds. */
  intermediateIterations?: number;
}

export interface AlphaStageResult {
  closed: number;
  /** Per region: every layer's bounds (CROWN, α-refined where the stage got that far): the
   *  bab stage starts from them and the MILP takes them as its pre-activation bounds. */
  bounds: (LayerBounds[] | undefined)[];
}

/**
 * α-CROWN (src/bounds/optimise/alpha.ts, any network) on every region with open disjuncts.
 * Each region gets an equal share of the time left. With intermediate iterations, a region
 * that the first pass (on CROWN's layer bounds, a quarter of its share) leaves open gets its
 * intermediate bounds optimised layer by layer (up to half of what is left) and the spec rows
 * optimised again on them (the rest).
 */
export function alphaStage(net: Network, open: OpenSet, opts: AlphaStageOptions): AlphaStageResult {
  let closed = 0;
  const bounds: (LayerBounds[] | undefined)[] = [];
  const regions = open.prop.regions.length;
  for (let r = 0; r < regions; r++) {
    const rows = open.rows(r);
    if (!rows) continue;
    const { lower, upper } = open.prop.regions[r];
    let pending = 0;
    for (let q = r; q < regions; q++) if (open.regionOpen(q)) pending++;
    const share = (opts.deadline - now()) / Math.max(1, pending);
    const regionDeadline = now() + share;
    const inter = opts.intermediateIterations ?? 0;
    const res = alphaBox(net, lower, upper, rows.c, rows.rows, {
      iterations: opts.iterations, lr: 0.1, deadline: inter > 0 ? now() + 0.25 * share : regionDeadline, stopAbove: rows.b,
    });
    bounds[r] = res.bounds;
    closed += open.closeByLowerBounds(r, rows, res.best);
    const left = open.rows(r);
    if (inter <= 0 || !left || now() >= regionDeadline) continue;
    const again = alphaBox(net, lower, upper, left.c, left.rows, {
      iterations: opts.iterations, lr: 0.1, deadline: regionDeadline, stopAbove: left.b,
      intermediate: { iterations: inter, deadline: now() + 0.5 * (regionDeadline - now()), crown: res.bounds },
    });
    bounds[r] = again.bounds;
    closed += open.closeByLowerBounds(r, left, again.best);
  }
  return { closed, bounds };
}
