// Stages (b) and (c): bound the open disjuncts' rows a·y over each region's box and close the
// disjuncts with a row whose lower bound exceeds its b. IBP and CROWN run on the bound engine
// (GPU when there is one) with the rows folded into C; α-CROWN runs on dense ReLU chains.
import type { Network } from '../network.js';
import type { BoundEngine, BoundMethod } from '../bounds/types.js';
import type { OpenSet } from './open-set.js';
import type { DenseChain } from './dense-chain.js';
import type { PreBounds } from './alpha-crown.js';
import { alphaCrown, optimisedPreBounds } from './alpha-crown.js';

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

/**
 * α-CROWN on every region with open disjuncts; returns the closed count and each region's
 * pre-activation bounds. Each region gets an equal share of the time left. With
 * intermediate iterations, a region that the first pass (on CROWN pre-bounds, a quarter of
 * its share) leaves open gets its pre-bounds optimised layer by layer (up to half of what
 * is left) and the spec rows optimised again on them (the rest).
 */
export function alphaStage(chain: DenseChain, open: OpenSet, opts: AlphaStageOptions): { closed: number; pre: (PreBounds | undefined)[]; alpha: RowAlphas[] } {
  let closed = 0;
  const pre: (PreBounds | undefined)[] = [];
  const alpha: RowAlphas[] = open.prop.regions.map(() => new Map());
  const regions = open.prop.regions.length;
  for (let r = 0; r < regions; r++) {
    const rows = open.rows(r);
    if (!rows) continue;
    const { lower, upper } = open.prop.regions[r];
    let pending = 0;
    for (let q = r; q < regions; q++) if (open.regionOpen(q)) pending++;
    const share = (opts.deadline - Date.now()) / Math.max(1, pending);
    const regionDeadline = Date.now() + share;
    const inter = opts.intermediateIterations ?? 0;
    const res = alphaCrown(chain, lower, upper, rows.c, rows.rows, {
      iterations: opts.iterations, deadline: inter > 0 ? Date.now() + 0.25 * share : regionDeadline, stopAbove: rows.b, keepAlpha: true,
    });
    pre[r] = res.pre;
    keepRowAlphas(alpha[r], rows.owner, res.alpha);
    closed += open.closeByLowerBounds(r, rows, res.lower);
    const left = open.rows(r);
    if (inter <= 0 || !left || chain.maps.length < 3 || Date.now() >= regionDeadline) continue;
    const tight = optimisedPreBounds(chain, lower, upper, {
      crown: res.pre, iterations: inter, deadline: Date.now() + 0.5 * (regionDeadline - Date.now()),
    });
    pre[r] = tight;
    const again = alphaCrown(chain, lower, upper, left.c, left.rows, { iterations: opts.iterations, deadline: regionDeadline, stopAbove: left.b, pre: tight, keepAlpha: true });
    keepRowAlphas(alpha[r], left.owner, again.alpha);
    closed += open.closeByLowerBounds(r, left, again.lower);
  }
  return { closed, pre, alpha };
}

/** Lower slopes per ReLU layer (one value per neuron) of one spec row, keyed by rowKey. */
export type RowAlphas = Map<string, Float64Array[]>;

/** Key of row i of disjunct k of a region. */
export function rowKey(k: number, i: number): string {
  return `${k}:${i}`;
}

/** Files the α of each row of OpenSet.rows (owner: disjunct per row, rows of one disjunct consecutive). */
function keepRowAlphas(into: RowAlphas, owner: number[], alpha: Float64Array[] | undefined): void {
  if (!alpha) return;
  const R = owner.length;
  let i = 0;
  owner.forEach((k, q) => {
    i = q > 0 && owner[q - 1] === k ? i + 1 : 0;
    into.set(rowKey(k, i), alpha.map((a) => { const n = a.length / R; return a.slice(q * n, (q + 1) * n); }));
  });
}
