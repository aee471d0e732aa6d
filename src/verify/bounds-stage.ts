// Stages (b) and (c): bound the open disjuncts' rows a·y over each region's box and close the
// disjuncts with a row whose lower bound exceeds its b. IBP and CROWN run on the bound engine
// (GPU when there is one) with the rows folded into C; α-CROWN runs on dense ReLU chains.
import type { Network } from '../network.js';
import type { BoundEngine, BoundMethod } from '../bounds/types.js';
import type { OpenSet } from './open-set.js';
import type { DenseChain } from './dense-chain.js';
import type { PreBounds } from './alpha-crown.js';
import { alphaCrown } from './alpha-crown.js';

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
}

/** α-CROWN on every region with open disjuncts; returns the closed count and each region's pre-activation bounds. */
export function alphaStage(chain: DenseChain, open: OpenSet, opts: AlphaStageOptions): { closed: number; pre: (PreBounds | undefined)[] } {
  let closed = 0;
  const pre: (PreBounds | undefined)[] = [];
  for (let r = 0; r < open.prop.regions.length; r++) {
    const rows = open.rows(r);
    if (!rows) continue;
    const { lower, upper } = open.prop.regions[r];
    const res = alphaCrown(chain, lower, upper, rows.c, rows.rows, { iterations: opts.iterations, deadline: opts.deadline, stopAbove: rows.b });
    pre[r] = res.pre;
    closed += open.closeByLowerBounds(r, rows, res.lower);
  }
  return { closed, pre };
}
