// Stages (b) and (c): bound the open disjuncts' rows a·y over each region's box and close the
// disjuncts with a row whose lower bound exceeds its b. IBP and CROWN run on the bound engine
// (GPU when there is one) with the rows folded into C; α-CROWN runs on the CPU engine's one
// backward pass, on every network.
import type { Network } from '../network.js';
import type { BoundEngine, BoundMethod, LayerBounds } from '../bounds/types.js';
import type { OpenSet } from './open-set.js';
import type { DenseChain } from './dense-chain.js';
import { chainPre, type PreBounds } from './alpha-crown.js';
import { alphaBox } from '../bounds/optimise/alpha.js';

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
  /** Per region: every layer's bounds (CROWN, α-refined where the stage got that far). */
  bounds: (LayerBounds[] | undefined)[];
  /** The same in the dense-chain form the relu-bab and MILP stages read (dense ReLU chains only). */
  pre: (PreBounds | undefined)[];
  alpha: RowAlphas[];
}

/**
 * α-CROWN (src/bounds/optimise/alpha.ts, any network) on every region with open disjuncts.
 * Each region gets an equal share of the time left. With intermediate iterations, a region
 * that the first pass (on CROWN's layer bounds, a quarter of its share) leaves open gets its
 * intermediate bounds optimised layer by layer (up to half of what is left) and the spec rows
 * optimised again on them (the rest).
 */
export function alphaStage(net: Network, chain: DenseChain | null, open: OpenSet, opts: AlphaStageOptions): AlphaStageResult {
  let closed = 0;
  const bounds: (LayerBounds[] | undefined)[] = [];
  const pre: (PreBounds | undefined)[] = [];
  const alpha: RowAlphas[] = open.prop.regions.map(() => new Map());
  const regions = open.prop.regions.length;
  const relus = chain ? chain.preLayer.map((l) => l + 1) : [];
  for (let r = 0; r < regions; r++) {
    const rows = open.rows(r);
    if (!rows) continue;
    const { lower, upper } = open.prop.regions[r];
    let pending = 0;
    for (let q = r; q < regions; q++) if (open.regionOpen(q)) pending++;
    const share = (opts.deadline - Date.now()) / Math.max(1, pending);
    const regionDeadline = Date.now() + share;
    const inter = opts.intermediateIterations ?? 0;
    const res = alphaBox(net, lower, upper, rows.c, rows.rows, {
      iterations: opts.iterations, lr: 0.1, deadline: inter > 0 ? Date.now() + 0.25 * share : regionDeadline, stopAbove: rows.b, keepAlpha: true,
    });
    bounds[r] = res.bounds;
    pre[r] = chain ? chainPre(chain, res.bounds, lower, upper) : undefined;
    keepRowAlphas(alpha[r], rows.owner, relus, res.alpha);
    closed += open.closeByLowerBounds(r, rows, res.best);
    const left = open.rows(r);
    if (inter <= 0 || !left || Date.now() >= regionDeadline) continue;
    const again = alphaBox(net, lower, upper, left.c, left.rows, {
      iterations: opts.iterations, lr: 0.1, deadline: regionDeadline, stopAbove: left.b, keepAlpha: true,
      intermediate: { iterations: inter, deadline: Date.now() + 0.5 * (regionDeadline - Date.now()), crown: res.bounds },
    });
    bounds[r] = again.bounds;
    pre[r] = chain ? chainPre(chain, again.bounds, lower, upper) : undefined;
    keepRowAlphas(alpha[r], left.owner, relus, again.alpha);
    closed += open.closeByLowerBounds(r, left, again.best);
  }
  return { closed, bounds, pre, alpha };
}

/** Lower slopes per ReLU layer (one value per neuron) of one spec row, keyed by rowKey. */
export type RowAlphas = Map<string, Float64Array[]>;

/** Key of row i of disjunct k of a region. */
export function rowKey(k: number, i: number): string {
  return `${k}:${i}`;
}

/**
 * Files the α of each row of OpenSet.rows (owner: disjunct per row, rows of one disjunct
 * consecutive) per chain ReLU (`relus`: the network layer of each; no α there: undefined).
 */
function keepRowAlphas(into: RowAlphas, owner: number[], relus: number[], alpha: (Float64Array | undefined)[] | undefined): void {
  if (!alpha || !relus.length) return;
  const R = owner.length;
  let i = 0;
  owner.forEach((k, q) => {
    i = q > 0 && owner[q - 1] === k ? i + 1 : 0;
    into.set(rowKey(k, i), relus.map((j) => { const a = alpha[j]; if (!a) return undefined as unknown as Float64Array; const n = a.length / R; return a.slice(q * n, (q + 1) * n); }));
  });
}
